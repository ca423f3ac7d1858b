using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Startup;

/// <summary>
/// SIGTERM ends the worker within <c>Orchestrator:Shutdown:TimeoutSeconds</c> while its dependencies are broken: RabbitMQ
/// at a port where nothing listens, and a mail server that takes the connection and never says a word, with a send to
/// it in flight (a hand-off is not cancelled on shutdown, and the SMTP timeout here is a minute).
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class ShutdownWithBrokenDependenciesTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly WorkerFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Sigterm_ends_the_worker_in_time_with_rabbitmq_unreachable_and_smtp_silent_mid_send()
    {
        await _folder.WithWelcomeJourneyAsync();

        // A mail server that accepts connections and never sends its greeting.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings.Remove("Orchestrator__Email__PickupFolder");
        settings["Orchestrator__Email__Host"] = "127.0.0.1";
        settings["Orchestrator__Email__Port"] = ((IPEndPoint)silent.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        settings["Orchestrator__Email__Security"] = "None";
        settings["Orchestrator__Email__Timeout"] = "00:01:00";
        settings["Orchestrator__Email__BatchSize"] = "4";
        settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        settings["Orchestrator__Messaging__Port"] = ExternalProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        settings["Orchestrator__Shutdown__TimeoutSeconds"] = "8";
        // Running, though not healthy: the intake cannot reach its broker.
        using var worker = await WorkerProcess.StartAsync(_folder.Path, settings, ready: h => h.TryGetProperty("intake", out _));
        Assert.Equal("degraded", (await worker.HealthAsync()).GetProperty("status").GetString());

        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(200, (await worker.PostEventsAsync($$$"""{"eventId":"e-1","customerId":"c-1","type":"signed.up","occurredAt":"{{{now}}}","customer":{"email":"c-1@example.com"}}""")).Status);
        using var accepted = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var connection = await silent.AcceptTcpClientAsync(accepted.Token);

        var stopwatch = Stopwatch.StartNew();
        worker.Terminate();
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)), "SIGTERM did not end the worker within 30 s:\n" + worker.Output);
        output.WriteLine($"stopped in {stopwatch.Elapsed.TotalSeconds:0.0} s, exit code {worker.ExitCode}");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(8 + 4), $"stopping took {stopwatch.Elapsed}:\n{worker.Output}");
    }
}
