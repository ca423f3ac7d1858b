using Orchestrator.Worker.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Worker.Tests.Faults;

/// <summary>
/// The worker under faults, on real parts (RabbitMQ, the worker process, aiosmtpd), counted against the simulator:
/// per expected send delivered once / lost / duplicated, unexpected mails, per event decided / lost (see
/// <see cref="FaultChecker"/>). The test command runs 2,000 customers; scripts/soak.sh runs more
/// (<c>ORCHESTRATOR_FAULTS_CUSTOMERS</c>, <c>ORCHESTRATOR_FAULTS_KILLS</c>, <c>ORCHESTRATOR_FAULTS_SEED</c>).
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class FaultTests(ITestOutputHelper output)
{
    private static readonly int Customers = Population.Customers;

    [Fact]
    public async Task Kill_9_at_random_moments_loses_no_event_and_no_send()
    {
        var kills = Population.Setting("ORCHESTRATOR_FAULTS_KILLS", 5);
        var seed = Population.Setting("ORCHESTRATOR_FAULTS_SEED", Environment.TickCount & 0x7fffffff);
        output.WriteLine($"seed {seed} (ORCHESTRATOR_FAULTS_SEED={seed} repeats the kill moments)");
        var random = new Random(seed);
        await using var rig = await FaultRig.CreateAsync(output, "faults-kill", Customers, TimeSpan.FromSeconds(10));
        await rig.StartSmtpAsync();
        await rig.StartWorkerAsync("fault-worker");
        var publishing = rig.PublishAsync();

        // The kills are spread over the time mail goes out: a random pause, then the next moment the worker moves.
        var lastSend = rig.Scenario.Expected.Sends.Max(s => s.At);
        var records = new List<KillRecord>();
        for (var i = 1; i <= kills; i++)
        {
            var left = lastSend - DateTimeOffset.UtcNow;
            var spread = Math.Max(500, (int)(left.TotalMilliseconds / (kills - i + 2)));
            await Task.Delay(random.Next(300, spread));
            records.Add(await rig.KillDuringActivityAsync("fault-worker", i, TimeSpan.FromSeconds(60)));
            await rig.StartWorkerAsync("fault-worker");
        }
        await publishing;
        await rig.WaitUntilSettledAsync(TimeSpan.FromSeconds(120));
        await rig.CheckAsync($"kill-9 x{kills}, {Customers} customers, seed {seed}", duplicateBound: kills);
        Assert.All(records, r => Assert.True(r.DuringActivity, r.ToString()));
    }
}
