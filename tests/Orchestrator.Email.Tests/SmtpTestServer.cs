using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MimeKit;

namespace Orchestrator.Email.Tests;

/// <summary>
/// A real SMTP server (tests/smtp/smtp_server.py on aiosmtpd, installed by scripts/services.sh) on a free loopback
/// port, storing what it receives in its own folder. Killed, and its folder deleted, on dispose.
/// </summary>
internal sealed class SmtpTestServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;

    private SmtpTestServer(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    public int Port { get; }

    public string Folder { get; }

    /// <summary>Client connections accepted so far (the server logs one line per connection).</summary>
    public int Connections
    {
        get
        {
            var log = Path.Combine(Folder, "connections.log");
            return File.Exists(log) ? File.ReadAllLines(log).Length : 0;
        }
    }

    public IReadOnlyList<string> MessageFiles => [.. Directory.GetFiles(Folder, "*.eml").Order(StringComparer.Ordinal)];

    public MimeMessage LoadMessage(int index) => MimeMessage.Load(MessageFiles[index]);

    public IReadOnlyList<string> EnvelopeRecipients(int index)
    {
        var envelope = Path.ChangeExtension(MessageFiles[index], ".envelope.json");
        using var json = JsonDocument.Parse(File.ReadAllText(envelope));
        return [.. json.RootElement.GetProperty("rcpt_tos").EnumerateArray().Select(e => e.GetString()!)];
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a server on <paramref name="port"/>, or on a free port (retrying if another process takes it first).</summary>
    public static async Task<SmtpTestServer> StartAsync(int? port = null, string? auth = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var chosen = port ?? FreePort();
            try
            {
                return await TryStartAsync(chosen, auth);
            }
            catch (IOException) when (port is null && attempt < 3)
            {
                // The free port was taken between choosing and binding it: choose another.
            }
        }
    }

    private static async Task<SmtpTestServer> TryStartAsync(int port, string? auth)
    {
        var folder = Path.Combine(Path.GetTempPath(), "orchestrator-smtp-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true, // the server exits when this pipe closes, should this process die first
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ScriptPath);
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(folder);
        start.ArgumentList.Add("--stop-on-stdin-eof");
        if (auth is not null)
        {
            start.ArgumentList.Add("--auth");
            start.ArgumentList.Add(auth);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line == "READY")
                    return new SmtpTestServer(process, port, folder);
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"smtp_server.py did not print READY within {StartTimeout}: {await stderr}");
        }
        await process.WaitForExitAsync();
        var error = await stderr;
        process.Dispose();
        if (error.Contains("No module named 'aiosmtpd'", StringComparison.Ordinal))
            throw new InvalidOperationException("aiosmtpd is missing: run scripts/services.sh start (installs python3-aiosmtpd).");
        throw new IOException($"smtp_server.py exited with {process.ExitCode} before READY: {error}");
    }

    internal static string ScriptPath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "smtp", "smtp_server.py");
                if (File.Exists(candidate))
                    return candidate;
            }
            throw new FileNotFoundException("tests/smtp/smtp_server.py not found above " + AppContext.BaseDirectory);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
