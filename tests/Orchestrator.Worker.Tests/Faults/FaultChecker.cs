using MimeKit;
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

    /// <summary>Never arrived and not reported unknown: a send the worker lost.</summary>
    public required int Lost { get; init; }

    /// <summary>Never arrived, reported <c>unknown</c> (a crash between 'sending' and SMTP's answer): allowed.</summary>
    public required int UnknownNotArrived { get; init; }

    /// <summary>Reported <c>unknown</c> and yet arrived once: the crash came after SMTP accepted the mail.</summary>
    public required int UnknownArrived { get; init; }

    /// <summary>Arrived more than once: each extra copy counts.</summary>
    public required int Duplicated { get; init; }

    /// <summary>Arrived, but no send the simulator predicted up to the horizon has its key.</summary>
    public required int Unexpected { get; init; }

    public required int Events { get; init; }
    public required int Decided { get; init; }
    public int LostEvents => Events - Decided;

    public required IReadOnlyList<string> LostKeys { get; init; }
    public required IReadOnlyList<string> DuplicatedKeys { get; init; }
    public required IReadOnlyList<string> UnexpectedKeys { get; init; }
    public required IReadOnlyList<string> LostEventIds { get; init; }

    public string Summary(string scenario, int duplicateBound) =>
        $"{scenario}: {ExpectedSends} expected sends: {Once} once, {Lost} lost, {Duplicated} duplicated (bound {duplicateBound}), {Unexpected} unexpected, " +
        $"{UnknownNotArrived + UnknownArrived} unknown ({UnknownArrived} of them arrived); {Events} events: {Decided} decided, {LostEvents} lost";

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

internal static class FaultChecker
{
    /// <summary>The send key of every mail in <paramref name="mailFolder"/>, once per copy received.</summary>
    public static IReadOnlyList<string> ArrivedKeys(string mailFolder) =>
        Directory.GetFiles(mailFolder, "*.eml").Select(f => SendKeyOf(MimeMessage.Load(f).MessageId)).ToList();

    /// <summary>The worker puts the send key into the Message-ID as <c>{SendKey}@{MessageIdDomain}</c>.</summary>
    private static string SendKeyOf(string? messageId) =>
        messageId is null ? "(no Message-ID)" : messageId.LastIndexOf('@') is > 0 and var at ? messageId[..at] : messageId;

    /// <param name="later">The simulator run on past the horizon: its sends after <see cref="Scenario.Until"/> may have
    /// arrived by the time of counting, and are neither expected nor unexpected.</param>
    public static async Task<FaultCounts> CountAsync(Scenario scenario, SimulationResult later, string mailFolder, string database)
    {
        var predicted = scenario.Expected.Sends.Where(s => s.At <= scenario.Until).ToDictionary(s => s.SendKey, StringComparer.Ordinal);
        var expected = predicted.Keys.ToHashSet(StringComparer.Ordinal);
        var beyond = later.Sends.Where(s => s.At > scenario.Until).Select(s => s.SendKey).ToHashSet(StringComparer.Ordinal);
        var arrivals = ArrivedKeys(mailFolder).GroupBy(k => k, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var recorded = (await StorageProbe.ColumnAsync(database, "SELECT send_key || ' ' || customer_id || '/' || journey_id || '/' || step_id || '@' || at || ' ' || status FROM sends"))
            .ToDictionary(r => r[..r.IndexOf(' ', StringComparison.Ordinal)], StringComparer.Ordinal);
        var unknown = (await StorageProbe.ColumnAsync(database, "SELECT send_key FROM sends WHERE status = 'unknown'")).ToHashSet(StringComparer.Ordinal);
        var decided = (await StorageProbe.ColumnAsync(database, "SELECT event_id FROM inbox")).ToHashSet(StringComparer.Ordinal);
        var events = scenario.Events.Select(e => e.EventId).Distinct(StringComparer.Ordinal).ToList();

        int Arrived(string key) => arrivals.GetValueOrDefault(key);
        var lost = expected.Where(k => Arrived(k) == 0 && !unknown.Contains(k)).Order(StringComparer.Ordinal).ToList();
        var duplicated = arrivals.Where(a => a.Value > 1).Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
        return new FaultCounts
        {
            ExpectedSends = expected.Count,
            Once = expected.Count(k => Arrived(k) == 1),
            Lost = lost.Count,
            UnknownNotArrived = expected.Count(k => Arrived(k) == 0 && unknown.Contains(k)),
            UnknownArrived = expected.Count(k => Arrived(k) > 0 && unknown.Contains(k)),
            Duplicated = duplicated.Sum(k => arrivals[k] - 1),
            Unexpected = arrivals.Where(a => !expected.Contains(a.Key) && !beyond.Contains(a.Key)).Sum(a => a.Value),
            Events = events.Count,
            Decided = events.Count(decided.Contains),
            LostKeys = lost.Select(k => $"{k} {predicted[k].CustomerId}/{predicted[k].JourneyId}/{predicted[k].StepId}@{predicted[k].At:O} (worker: {recorded.GetValueOrDefault(k, "no send")})").ToList(),
            DuplicatedKeys = duplicated,
            UnexpectedKeys = arrivals.Keys.Where(k => !expected.Contains(k) && !beyond.Contains(k)).Order(StringComparer.Ordinal).Select(k => recorded.GetValueOrDefault(k, k)).ToList(),
            LostEventIds = events.Where(e => !decided.Contains(e)).ToList(),
        };
    }
}
