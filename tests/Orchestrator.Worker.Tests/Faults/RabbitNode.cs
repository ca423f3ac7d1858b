using System.Globalization;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Faults;

/// <summary>
/// A RabbitMQ node of the fault harness's own (the installed server, started as scripts/services.sh starts the shared
/// one: loopback only, the consistent-hash plugin on), on free ports with its data under a temporary folder. The broker
/// restart scenario stops and starts this node, never the shared one: other tests (and other test runs on the machine)
/// keep their broker. Stopped and its folder removed on dispose.
/// </summary>
internal sealed class RabbitNode : IAsyncDisposable
{
    private readonly string _folder;
    private readonly Dictionary<string, string> _environment;

    private RabbitNode(string folder, int port, string name, Dictionary<string, string> environment)
    {
        _folder = folder;
        Port = port;
        Name = name;
        _environment = environment;
    }

    public int Port { get; }

    /// <summary>The node name without its host, as <c>rabbitmqctl -n</c> takes it.</summary>
    public string Name { get; }

    public static async Task<RabbitNode> StartAsync()
    {
        await TestServices.EnsureStartedAsync(); // installs the server on a fresh machine
        var port = ExternalProcess.FreePort();
        var folder = Directory.CreateTempSubdirectory("orch-rabbit").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "mnesia"));
        Directory.CreateDirectory(Path.Combine(folder, "log"));
        await File.WriteAllTextAsync(Path.Combine(folder, "enabled_plugins"), "[rabbitmq_consistent_hash_exchange].\n");
        // Debian's wrapper runs the server as the rabbitmq user when started by root.
        var (chown, chownLog) = await ExternalProcess.RunAsync("chown", "-R", "rabbitmq:rabbitmq", folder);
        Assert.True(chown == 0, "chown of the node's folder failed: " + chownLog);
        var (chmod, chmodLog) = await ExternalProcess.RunAsync("chmod", "755", folder); // the temp folder is 700, root's
        Assert.True(chmod == 0, "chmod of the node's folder failed: " + chmodLog);
        var name = $"orch-faults-{port}";
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["RABBITMQ_NODENAME"] = name,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = ExternalProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(folder, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(folder, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(folder, "enabled_plugins"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(folder, "node.pid"),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };
        var node = new RabbitNode(folder, port, name, environment);
        await node.RunAsync("rabbitmq-server", "-detached");
        // As scripts/services.sh waits: the detached node registers with epmd a few seconds later (await_startup fails
        // at once on a node it cannot reach), then boots the broker.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while ((await ExternalProcess.RunAsync("rabbitmq-diagnostics", "-q", "-n", name, "ping")).Exit != 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"RabbitMQ node {name} did not answer ping within 90 s:\n{node.LogTail()}");
            await Task.Delay(500);
        }
        await node.CtlAsync("await_startup", "--timeout", "90");
        return node;
    }

    /// <summary>Stops the broker application (the Erlang node stays): every connection is closed, durable queues and
    /// persistent messages are kept, as in a broker restart.</summary>
    public Task StopAppAsync() => CtlAsync("stop_app");

    public async Task StartAppAsync()
    {
        await CtlAsync("start_app");
        await CtlAsync("await_startup", "--timeout", "90");
    }

    private Task CtlAsync(params string[] arguments) => RunAsync("rabbitmqctl", ["-q", "-n", Name, .. arguments]);

    private async Task RunAsync(string program, params string[] arguments)
    {
        string[] command = [.. _environment.Select(e => $"{e.Key}={e.Value}"), program, .. arguments];
        var (exit, log) = await ExternalProcess.RunAsync("env", command);
        if (exit != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} on node {Name} exited with {exit}:\n{log}\n{LogTail()}");
    }

    private string LogTail()
    {
        var logs = Directory.Exists(Path.Combine(_folder, "log")) ? Directory.GetFiles(Path.Combine(_folder, "log"), "*.log") : [];
        return string.Join("\n", logs.Select(l => $"{l}:\n{string.Join('\n', File.ReadLines(l).TakeLast(30))}"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CtlAsync("stop");
        }
        catch (InvalidOperationException)
        {
            // Already down (a failed start); nothing to stop.
        }
        try
        {
            Directory.Delete(_folder, true);
        }
        catch (IOException)
        {
            // A file the halting node still holds; the temp folder is cleaned by the OS later.
        }
    }
}
