using MimeKit;
using Orchestrator.Core.Engine;

namespace Orchestrator.Worker.Tests.Faults;

/// <summary>
/// The fault harness's checker on fabricated results, no processes: a worker that loses, repeats or invents mail, or
/// mails an address the server refused for good, is counted as such. Without this a checker that counts nothing
/// would let every scenario pass.
/// </summary>
public sealed class FaultCheckerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly string _mail = Directory.CreateTempSubdirectory("orch-checker").FullName;

    public void Dispose() => Directory.Delete(_mail, true);

    [Fact]
    public void A_run_where_every_mail_arrived_once_has_no_violations()
    {
        var expected = new[] { Send("k1", "ann@example.org"), Send("k2", "bob@example.org") };
        var counts = FaultChecker.Count(expected, Set("b1"), ["k2", "k1", "b1"], Recorded(("k1", "sent"), ("k2", "sent")), Set(),
            ["e1", "e2"], Set("e1", "e2"), [], Attempts());

        Assert.Equal((2, 2, 0, 0, 0), (counts.ExpectedSends, counts.Once, counts.Lost, counts.Duplicated, counts.Unexpected));
        Assert.Equal(0, counts.LostEvents);
        Assert.Empty(counts.Violations(duplicateBound: 0));
    }

    [Fact]
    public void Lost_duplicated_unknown_and_unexpected_mail_and_undecided_events_are_each_counted()
    {
        var expected = new[]
        {
            Send("k1", "a@example.org"), Send("k2", "b@example.org"), Send("k3", "c@example.org"), Send("k4", "d@example.org"),
            Send("k7", "g@example.org"),
        };
        // k2 twice, u1 nobody predicted, b1 predicted after the horizon (allowed), k3 unknown and missing (allowed),
        // k4 still queued and missing (lost), k7 unknown but arrived.
        string[] arrivals = ["k1", "k2", "k2", "u1", "b1", "k7"];
        var counts = FaultChecker.Count(expected, Set("b1"), arrivals,
            Recorded(("k1", "sent"), ("k2", "sent"), ("k3", "unknown"), ("k4", "queued"), ("k7", "unknown")), Set(),
            ["e1", "e2", "e3"], Set("e1", "e3"), [], Attempts());

        Assert.Equal(2, counts.Once); // k1, and k7 (unknown, arrived once)
        Assert.Equal(1, counts.Lost);
        Assert.Equal(1, counts.UnknownNotArrived);
        Assert.Equal(1, counts.UnknownArrived);
        Assert.Equal(1, counts.Duplicated);
        Assert.Equal(1, counts.Unexpected);
        Assert.Equal(["e2"], counts.LostEventIds);
        Assert.StartsWith("k4 ", Assert.Single(counts.LostKeys), StringComparison.Ordinal);
        Assert.Equal(["k2"], counts.DuplicatedKeys);
        var violations = counts.Violations(duplicateBound: 0);
        Assert.Equal(4, violations.Count);
        Assert.Equal(3, counts.Violations(duplicateBound: 1).Count); // one duplicate is within a bound of one
    }

    [Fact]
    public void Sends_to_a_permanently_refused_address_count_as_refused_and_any_further_attempt_or_arrival_as_unexpected()
    {
        // r@ is refused: its first send failed (refused), its second was decided 'suppressed' (no send row), its third
        // was queued and never handed over (lost), its fourth arrived (unexpected); the server saw three attempts.
        var expected = new[]
        {
            Send("k1", "ok@example.org"), Send("r1", "R@Example.org"), Send("r2", "Someone <r@example.org>", step: "second"),
            Send("r3", "r@example.org", step: "third"), Send("r4", "r@example.org", step: "fourth"),
        };
        var counts = FaultChecker.Count(expected, Set(), ["k1", "r4"],
            Recorded(("k1", "sent"), ("r1", "failed"), ("r3", "queued"), ("r4", "sent")), Set("i-1/second"),
            ["e1"], Set("e1"), ["r@example.org"], Attempts(("r@example.org", 3)));

        Assert.Equal((1, 4, 2, 3), (counts.Once, counts.ToRefusedAddresses, counts.RefusedAsExpected, counts.RefusedAttempts));
        Assert.Equal(1, counts.Lost);
        Assert.StartsWith("r3 ", Assert.Single(counts.LostKeys), StringComparison.Ordinal);
        Assert.Equal(1 + 2, counts.Unexpected); // r4's arrival, and two attempts after the refusal
        Assert.Contains(counts.UnexpectedKeys, k => k.StartsWith("to a refused address: r4", StringComparison.Ordinal));
        Assert.Contains("2 more attempts at r@example.org after its permanent refusal", counts.UnexpectedKeys);
        Assert.Contains("2 of 4 to the refused address refused as expected (3 attempts refused)", counts.Summary("s", 0), StringComparison.Ordinal);

        // Without a suppressed outcome, a missing send to the refused address is lost, not refused.
        var unsuppressed = FaultChecker.Count(expected[..3], Set(), ["k1"], Recorded(("k1", "sent"), ("r1", "failed")), Set(),
            ["e1"], Set("e1"), ["r@example.org"], Attempts(("r@example.org", 1)));
        Assert.Equal((1, 1, 0), (unsuppressed.RefusedAsExpected, unsuppressed.Lost, unsuppressed.Unexpected));
    }

    [Fact]
    public async Task Arrivals_and_refusals_are_read_from_the_smtp_servers_folder()
    {
        foreach (var (file, key) in new[] { ("000001", "k1"), ("000002", "k2"), ("000003", "k1") })
        {
            var message = new MimeMessage { MessageId = $"{key}@orchestrator.test", Subject = "s" };
            message.From.Add(MailboxAddress.Parse("from@example.org"));
            message.To.Add(MailboxAddress.Parse("to@example.org"));
            message.Body = new TextPart("plain") { Text = "x" };
            await message.WriteToAsync(Path.Combine(_mail, file + ".eml"));
        }
        await File.WriteAllLinesAsync(Path.Combine(_mail, "refused.log"),
        [
            """{"at": 1.0, "address": "R@example.org", "reply": "550 5.1.1 <R@example.org>: User unknown"}""",
            """{"at": 2.0, "address": "r@example.org", "reply": "550 5.1.1 <r@example.org>: User unknown"}""",
        ]);

        Assert.Equal(["k1", "k1", "k2"], FaultChecker.ArrivedKeys(_mail).Order(StringComparer.Ordinal));
        Assert.Equal(2, FaultChecker.RefusedAttempts(_mail)["r@example.org"]);
    }

    private static EmailToSend Send(string key, string to, string step = "first") => new()
    {
        SendKey = key,
        At = T0,
        JourneyId = "j",
        Version = "v1",
        InstanceId = "i-1",
        StepId = step,
        CustomerId = "c-1",
        To = to,
        Subject = "s",
        Html = "<p>x</p>",
    };

    private static HashSet<string> Set(params string[] items) => new(items, StringComparer.Ordinal);

    private static Dictionary<string, RecordedSend> Recorded(params (string Key, string Status)[] rows) =>
        rows.ToDictionary(r => r.Key, r => new RecordedSend(r.Status, $"{r.Key} c-1/j/x@t {r.Status}"), StringComparer.Ordinal);

    private static Dictionary<string, int> Attempts(params (string Address, int Count)[] attempts) =>
        attempts.ToDictionary(a => a.Address, a => a.Count, StringComparer.Ordinal);
}
