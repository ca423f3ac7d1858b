using Orchestrator.Worker.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Worker.Tests.Faults;

/// <summary>
/// The worker under faults, on real parts (RabbitMQ, the worker process, aiosmtpd), counted against the simulator:
/// per expected send delivered once / lost / duplicated, unexpected mails, per event decided / lost (see
/// <see cref="FaultChecker"/>). The test command runs 200 customers; scripts/soak.sh runs more
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
        // They end a quarter of the way before the last predicted send: a worker that keeps up finishes its work by then
        // and a kill after it would find nothing to interrupt.
        var lastSend = rig.Scenario.Expected.Sends.Max(s => s.At);
        var killsEnd = lastSend - (lastSend - DateTimeOffset.UtcNow) / 4;
        var records = new List<KillRecord>();
        for (var i = 1; i <= kills; i++)
        {
            var left = killsEnd - DateTimeOffset.UtcNow;
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

    [Fact]
    public async Task Smtp_down_then_refusing_for_a_while_loses_no_send_and_sends_none_twice()
    {
        var down = TimeSpan.FromSeconds(Population.Setting("ORCHESTRATOR_FAULTS_SMTP_DOWN_SECONDS", 10));
        var refusing = TimeSpan.FromSeconds(Population.Setting("ORCHESTRATOR_FAULTS_SMTP_4XX_SECONDS", 8));
        await using var rig = await FaultRig.CreateAsync(output, "faults-smtp", Customers, TimeSpan.FromSeconds(10));
        await rig.StartSmtpAsync();
        await rig.StartWorkerAsync("fault-worker");
        await rig.PublishAsync();

        // Down once mail is flowing: connections refused, then a server that answers 451 to every recipient.
        var expected = rig.Scenario.Expected.Sends.Count(s => s.At <= rig.Scenario.Until);
        await rig.WaitForMailsAsync(Math.Max(1, expected / 10), TimeSpan.FromSeconds(90));
        rig.StopSmtp();
        var before = await rig.ActivityAsync();
        output.WriteLine($"smtp down at +{rig.Elapsed.TotalSeconds:F1}s for {down.TotalSeconds}s ({before})");
        await Task.Delay(down);
        await rig.StartSmtpAsync(rejectAll: "451 4.3.2");
        output.WriteLine($"smtp answering 451 at +{rig.Elapsed.TotalSeconds:F1}s for {refusing.TotalSeconds}s");
        await Task.Delay(refusing);
        var retried = await rig.RetriedSendsAsync();
        var during = await rig.ActivityAsync();
        rig.StopSmtp();
        await rig.StartSmtpAsync();
        output.WriteLine($"smtp back at +{rig.Elapsed.TotalSeconds:F1}s; meanwhile {during.Mails - before.Mails} mails arrived, {retried} sends were being retried");
        Assert.True(during.Mails == before.Mails, $"{during.Mails - before.Mails} mails arrived while the server was down or refusing");
        Assert.True(retried > 0, "no send was retried while the server was down: the outage missed the mail");

        await rig.WaitUntilSettledAsync(TimeSpan.FromSeconds(120));
        // Killing the server may cut a hand-off between its storing a mail and the worker's reading 250: at most one per
        // connection of the worker's pool (4) is then sent again.
        await rig.CheckAsync($"smtp down {down.TotalSeconds}s then 451 for {refusing.TotalSeconds}s, {Customers} customers", duplicateBound: 4);
    }
}
