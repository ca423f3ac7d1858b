namespace Orchestrator.Worker.Tests.Support;

/// <summary>RabbitMQ (and the SMTP server's packages), installed and started by scripts/services.sh once per test run.</summary>
internal static class TestServices
{
    private static readonly Lazy<Task> Started = new(async () =>
    {
        var (exit, log) = await ExternalProcess.RunAsync("bash", Path.Combine(RepoPaths.Root, "scripts", "services.sh"), "start");
        if (exit != 0)
            throw new InvalidOperationException("scripts/services.sh start failed:\n" + log);
    });

    public static Task EnsureStartedAsync() => Started.Value;
}
