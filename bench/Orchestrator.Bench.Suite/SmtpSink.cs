using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Bench.Suite;

/// <summary>
/// The SMTP server every send of the suite goes to: postfix's <c>smtp-sink</c> (accepts and discards, as fast as SMTP
/// goes; <c>apt-get install -y postfix</c>), else the tests' own server <c>tests/smtp/smtp_server.py</c> (slower: it
/// stores every message), so the smoke runs where postfix is not installed. Either counts the messages it accepted.
/// </summary>
internal sealed partial class SmtpSink : IAsyncDisposable
{
    private const string SinkPath = "/usr/sbin/smtp-sink";
    private readonly Process _process;
    private readonly string? _folder;
    private long _accepted;

    public int Port { get; }

    /// <summary>Which server it is, for the results.</summary>
    public string Name { get; }

    private SmtpSink(Process process, int port, string name, string? folder)
    {
        _process = process;
        Port = port;
        Name = name;
        _folder = folder;
    }

    public static async Task<SmtpSink> StartAsync(string root)
    {
        var port = SuiteSupport.FreePort();
        if (File.Exists(SinkPath))
        {
            // -c: counters on stdout ("sess=N quit=N mesg=N", one update per \r); backlog 256 as in the issue's runs.
            var start = new ProcessStartInfo(SinkPath) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            if (Environment.UserName == "root")
            {
                start.ArgumentList.Add("-u");
                start.ArgumentList.Add("nobody");
            }
            start.ArgumentList.Add($"127.0.0.1:{port}");
            start.ArgumentList.Add("256");
            var process = Process.Start(start)!;
            var sink = new SmtpSink(process, port, "postfix smtp-sink", null);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && Messages().Match(line) is { Success: true } match)
                    Interlocked.Exchange(ref sink._accepted, long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { Length: > 0 } line)
                    Console.Error.WriteLine("smtp-sink: " + line);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await sink.WaitListeningAsync();
            return sink;
        }
        var folder = Directory.CreateTempSubdirectory("orch-bench-smtp").FullName;
        var python = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in new[] { Path.Combine(root, "tests", "smtp", "smtp_server.py"), port.ToString(CultureInfo.InvariantCulture), folder, "--stop-on-stdin-eof" })
            python.ArgumentList.Add(argument);
        var server = Process.Start(python)!;
        server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
                Console.Error.WriteLine("smtp_server.py: " + line);
        };
        server.BeginErrorReadLine();
        if (await server.StandardOutput.ReadLineAsync() != "READY")
            throw new InvalidOperationException("tests/smtp/smtp_server.py did not start");
        return new SmtpSink(server, port, "tests/smtp/smtp_server.py (postfix's smtp-sink not installed)", folder);
    }

    /// <summary>Messages accepted since the server started.</summary>
    public long Accepted => _folder is null
        ? Interlocked.Read(ref _accepted)
        : Directory.EnumerateFiles(_folder, "*.eml").LongCount();

    private async Task WaitListeningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
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
        if (_folder is not null)
            Directory.Delete(_folder, true);
    }

    [GeneratedRegex(@"mesg=(\d+)")]
    private static partial Regex Messages();
}
