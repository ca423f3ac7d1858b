using System.Text.Json;
using MimeKit;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Simulation;
using Orchestrator.Worker.Tests.E2E;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Faults;

/// <summary>
/// What a fault scenario did, counted against the simulator's prediction (a Jepsen-style checker): per expected send
/// key (the Message-ID's local part) how often its mail arrived at the SMTP server, per published event whether the
/// worker decided it (its inbox row).
/// </summary>
internal sealed record FaultCounts
{
    public required int ExpectedSends { get; init; }
    public required int Once { get; init; }

    /// <summary>Never arrived and not reported unknown (nor refused as expected): a send the worker lost.</summary>
    public required int Lost { get; init; }

    /// <summary>Never arrived, reported <c>unknown</c> (a crash between 'sending' and SMTP's answer): allowed.</summary>
    public required int UnknownNotArrived { get; init; }

    /// <summary>Reported <c>unknown</c> and yet arrived once: the crash came after SMTP accepted the mail.</summary>
    public required int UnknownArrived { get; init; }

    /// <summary>Arrived more than once: each extra copy counts.</summary>
    public required int Duplicated { get; init; }

    /// <summary>Arrived, but no send the simulator predicted up to the horizon has its key; or arrived for an address
    /// the server refuses permanently; or another attempt at such an address after its refusal.</summary>
    public required int Unexpected { get; init; }

    /// <summary>Predicted sends to an address the server refuses permanently (the simulator cannot know it does).</summary>
    public int ToRefusedAddresses { get; init; }

    /// <summary>Of <see cref="ToRefusedAddresses"/>: recorded <c>failed</c> (the refusal) or never queued (decided
    /// <c>suppressed</c> once the refusal suppressed the address), and not arrived: what the worker must do.</summary>
    public int RefusedAsExpected { get; init; }

    /// <summary>RCPT TO refusals the server logged for those addresses: one each, the refusal that suppressed it.</summary>
    public int RefusedAttempts { get; init; }

    public required int Events { get; init; }
    public required int Decided { get; init; }
    public int LostEvents => Events - Decided;

    public required IReadOnlyList<string> LostKeys { get; init; }
    public required IReadOnlyList<string> DuplicatedKeys { get; init; }
    public required IReadOnlyList<string> UnexpectedKeys { get; init; }
    public required IReadOnlyList<string> LostEventIds { get; init; }

    public string Summary(string scenario, int duplicateBound) =>
        $"{scenario}: {ExpectedSends} expected sends: {Once} once, {Lost} lost, {Duplicated} duplicated (bound {duplicateBound}), {Unexpected} unexpected, " +
        $"{UnknownNotArrived + UnknownArrived} unknown ({UnknownArrived} of them arrived)" +
        (ToRefusedAddresses > 0 ? $", {RefusedAsExpected} of {ToRefusedAddresses} to the refused address refused as expected ({RefusedAttempts} attempts refused)" : "") +
        $"; {Events} events: {Decided} decided, {LostEvents} lost";

    /// <summary>Every failure of the harness's rules, with the keys behind them; empty when all hold.</summary>
    public IReadOnlyList<string> Violations(int duplicateBound)
    {
        var violations = new List<string>();
        if (LostEvents > 0)
            violations.Add($"{LostEvents} events never decided: {string.Join(", ", LostEventIds.Take(15))}");
        if (Lost > 0)
            violations.Add($"{Lost} sends lost: {string.Join(", ", LostKeys.Take(15))}");
        if (Unexpected > 0)
            violations.Add($"{Unexpected} mails nobody predicted: {string.Join(", ", UnexpectedKeys.Take(15))}");
        if (Duplicated > duplicateBound)
            violations.Add($"{Duplicated} duplicates, more than {duplicateBound}: {string.Join(", ", DuplicatedKeys.Take(15))}");
        return violations;
    }
}

/// <summary>What the worker recorded for one send: its <c>sends</c> row's status, and a line to show in a failure.</summary>
internal sealed record RecordedSend(string Status, string Description);

internal static class FaultChecker
{
    /// <summary>The send key of every mail in <paramref name="mailFolder"/>, once per copy received.</summary>
    public static IReadOnlyList<string> ArrivedKeys(string mailFolder) =>
        Directory.GetFiles(mailFolder, "*.eml").Select(f => SendKeyOf(MimeMessage.Load(f).MessageId)).ToList();

    /// <summary>The RCPT TO refusals the SMTP test server logged (<c>refused.log</c>), per address (normalized).</summary>
    public static IReadOnlyDictionary<string, int> RefusedAttempts(string mailFolder)
    {
        var log = Path.Combine(mailFolder, "refused.log");
        if (!File.Exists(log))
            return new Dictionary<string, int>(StringComparer.Ordinal);
        return File.ReadAllLines(log).Where(l => l.Length > 0)
            .Select(l => AddressSuppression.Normalize(JsonDocument.Parse(l).RootElement.GetProperty("address").GetString()!))
            .GroupBy(a => a, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    /// <summary>The worker puts the send key into the Message-ID as <c>{SendKey}@{MessageIdDomain}</c>.</summary>
    private static string SendKeyOf(string? messageId) =>
        messageId is null ? "(no Message-ID)" : messageId.LastIndexOf('@') is > 0 and var at ? messageId[..at] : messageId;

    /// <param name="later">The simulator run on past the horizon: its sends after <see cref="Scenario.Until"/> may have
    /// arrived by the time of counting, and are neither expected nor unexpected.</param>
    /// <param name="refusedAddresses">Addresses the SMTP server answers 5xx to for good (<c>--reject-address</c>).</param>
    public static async Task<FaultCounts> CountAsync(Scenario scenario, SimulationResult later, string mailFolder, string database, IReadOnlyCollection<string>? refusedAddresses = null)
    {
        var recorded = (await StorageProbe.ColumnAsync(database, "SELECT send_key || ' ' || status || ' ' || customer_id || '/' || journey_id || '/' || step_id || '@' || at || ' ' || status FROM sends"))
            .Select(r => r.Split(' ', 3)).ToDictionary(p => p[0], p => new RecordedSend(p[1], $"{p[0]} {p[2]}"), StringComparer.Ordinal);
        var decided = (await StorageProbe.ColumnAsync(database, "SELECT event_id FROM inbox")).ToHashSet(StringComparer.Ordinal);
        var suppressed = (await StorageProbe.ColumnAsync(database, "SELECT instance_id || '/' || step_id FROM outcomes WHERE kind = 'suppressed'")).ToHashSet(StringComparer.Ordinal);
        return Count(
            scenario.Expected.Sends.Where(s => s.At <= scenario.Until).ToList(),
            later.Sends.Where(s => s.At > scenario.Until).Select(s => s.SendKey).ToHashSet(StringComparer.Ordinal),
            ArrivedKeys(mailFolder),
            recorded,
            suppressed,
            scenario.Events.Select(e => e.EventId).Distinct(StringComparer.Ordinal).ToList(),
            decided,
            refusedAddresses ?? [],
            RefusedAttempts(mailFolder));
    }

    /// <summary>The counting itself, on plain inputs, so it can be checked without any process (FaultCheckerTests).</summary>
    /// <param name="expected">The simulator's sends up to the horizon.</param>
    /// <param name="beyond">Keys of its sends after the horizon: neither expected nor unexpected.</param>
    /// <param name="arrivals">One key per mail the SMTP server stored.</param>
    /// <param name="recorded">The worker's <c>sends</c> rows by key.</param>
    /// <param name="suppressed">The worker's <c>suppressed</c> outcomes, as <c>instance/step</c>.</param>
    /// <param name="refusedAttempts">Refused RCPT TOs per normalized address, from the server's log.</param>
    public static FaultCounts Count(IReadOnlyList<EmailToSend> expected, IReadOnlySet<string> beyond, IReadOnlyList<string> arrivals,
        IReadOnlyDictionary<string, RecordedSend> recorded, IReadOnlySet<string> suppressed, IReadOnlyList<string> events, IReadOnlySet<string> decided,
        IReadOnlyCollection<string> refusedAddresses, IReadOnlyDictionary<string, int> refusedAttempts)
    {
        var refused = refusedAddresses.Select(AddressSuppression.Normalize).ToHashSet(StringComparer.Ordinal);
        var predicted = expected.ToDictionary(s => s.SendKey, StringComparer.Ordinal);
        bool ToRefused(EmailToSend s) => refused.Contains(AddressOf(s.To));
        // Sends the server takes: each must arrive once. Sends to a refused address must not arrive at all.
        var deliverable = expected.Where(s => !ToRefused(s)).Select(s => s.SendKey).ToHashSet(StringComparer.Ordinal);
        var toRefused = expected.Where(ToRefused).Select(s => s.SendKey).ToList();
        var copies = arrivals.GroupBy(k => k, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        int Arrived(string key) => copies.GetValueOrDefault(key);
        string? Status(string key) => recorded.GetValueOrDefault(key)?.Status;
        bool Unknown(string key) => Status(key) == "unknown";
        // Refused: the refusal recorded as 'failed', or the address already suppressed when the engine decided the step
        // (no send, a 'suppressed' outcome in its place).
        bool RefusedAsExpected(string key) => Arrived(key) == 0 &&
            (Status(key) == "failed" || (Status(key) is null && suppressed.Contains($"{predicted[key].InstanceId}/{predicted[key].StepId}")));

        var lost = deliverable.Where(k => Arrived(k) == 0 && !Unknown(k))
            .Concat(toRefused.Where(k => Arrived(k) == 0 && !Unknown(k) && !RefusedAsExpected(k)))
            .Order(StringComparer.Ordinal).ToList();
        var duplicated = copies.Where(a => a.Value > 1 && deliverable.Contains(a.Key)).Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
        var unexpectedArrivals = copies.Where(a => !deliverable.Contains(a.Key) && !beyond.Contains(a.Key)).OrderBy(a => a.Key, StringComparer.Ordinal).ToList();
        // A permanent refusal suppresses the address, so the server sees it once; every further attempt is a send that
        // should not have been made (a 5xx retried, or a suppressed address mailed).
        var extraAttempts = refused.Select(a => (Address: a, Extra: refusedAttempts.GetValueOrDefault(a) - 1)).Where(a => a.Extra > 0).ToList();
        return new FaultCounts
        {
            ExpectedSends = expected.Count,
            Once = deliverable.Count(k => Arrived(k) == 1),
            Lost = lost.Count,
            UnknownNotArrived = expected.Count(s => Arrived(s.SendKey) == 0 && Unknown(s.SendKey)),
            UnknownArrived = expected.Count(s => Arrived(s.SendKey) > 0 && Unknown(s.SendKey)),
            Duplicated = duplicated.Sum(k => copies[k] - 1),
            Unexpected = unexpectedArrivals.Sum(a => a.Value) + extraAttempts.Sum(a => a.Extra),
            ToRefusedAddresses = toRefused.Count,
            RefusedAsExpected = toRefused.Count(RefusedAsExpected),
            RefusedAttempts = refused.Sum(a => refusedAttempts.GetValueOrDefault(a)),
            Events = events.Count,
            Decided = events.Count(decided.Contains),
            LostKeys = lost.Select(k => $"{k} {predicted[k].CustomerId}/{predicted[k].JourneyId}/{predicted[k].StepId}@{predicted[k].At:O} (worker: {recorded.GetValueOrDefault(k)?.Description ?? "no send"})").ToList(),
            DuplicatedKeys = duplicated,
            UnexpectedKeys = [.. unexpectedArrivals.Select(a => (predicted.ContainsKey(a.Key) ? "to a refused address: " : "") + (recorded.GetValueOrDefault(a.Key)?.Description ?? a.Key)),
                .. extraAttempts.Select(a => $"{a.Extra} more attempts at {a.Address} after its permanent refusal")],
            LostEventIds = events.Where(e => !decided.Contains(e)).ToList(),
        };
    }

    /// <summary>The bare address of a recipient (a display name around it or not), normalized as suppressions are.</summary>
    public static string AddressOf(string to) =>
        AddressSuppression.Normalize(MailboxAddress.TryParse(to, out var mailbox) ? mailbox.Address : to);
}
