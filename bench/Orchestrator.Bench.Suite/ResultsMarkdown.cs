using System.Globalization;
using System.Text;

namespace Orchestrator.Bench.Suite;

/// <summary>The suite's section of docs/benchmarks.md, between two markers so a run replaces only its own text.</summary>
internal static class ResultsMarkdown
{
    // Found by this prefix, so that the marker's explanation may change without a second section being appended.
    private const string BeginPrefix = "<!-- bench suite: begin";
    public const string Begin = BeginPrefix + " (written by bash bench/run.sh; edits inside are overwritten) -->";
    public const string End = "<!-- bench suite: end -->";

    public static string Replace(string document, string section)
    {
        var begin = document.IndexOf(BeginPrefix, StringComparison.Ordinal);
        var end = document.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
            return document.TrimEnd() + (document.Length > 0 ? "\n\n" : "") + section + "\n";
        return document[..begin] + section + document[(end + End.Length)..];
    }

    public static string Section(SuiteResults r)
    {
        var w = r.Wakeups;
        var q = r.Quartz;
        var o = r.Outbox;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');
        Line($"{Begin}");
        Line($"### Suite run: {r.Mode}, {r.FinishedAt:yyyy-MM-dd HH:mm} UTC, {r.Seconds / 60:N1} min");
        Line($"");
        Line($"Machine: {r.Machine.Summary}. SMTP server: {r.SmtpServer}.");
        Line($"Load average {r.Load.AtStart:N2} at start, {r.Load.Max:N2} at most during the run, on {r.Load.Cores} cores: **{(r.Load.Quiet ? "a quiet machine" : "NOT a quiet machine; rates are noise, ratios less so")}**.");
        Line($"Raw SQLite in the same run: {r.RawSqliteCommitsPerSecond:N0} one-row commits/s (WAL, synchronous FULL).");
        Line($"");
        Line($"| figure | worker | raw part, same run | ratio |");
        Line($"|---|---|---|---|");
        Line($"| {w.Wakeups:N0} wakeups due at one instant, each sending an email (sent/s, from the instant to the last `sent`) | {w.SentPerSecond:N0} wakeups/s (decided: {w.DecidedPerSecond:N0}/s) | one Quartz trigger per wakeup, {q.Triggers:N0} no-op jobs on Quartz's SQLite store: {q.FiredPerSecond:N0} triggers/s | {r.WakeupsToQuartz:N1}x |");
        Line($"| lateness of `sent` after the instant | p50 {w.SentLatenessP50:N1} s, p99 {w.SentLatenessP99:N1} s, max {w.SentLatenessMax:N1} s | Quartz's firing lateness: p50 {q.LatenessP50:N1} s, p99 {q.LatenessP99:N1} s | |");
        Line($"| worker CPU per wakeup with email; peak RSS | {w.WorkerCpuPerWakeupMs:N2} ms; {w.WorkerPeakRss / 1048576.0:N0} MB | | |");
        Line($"| the outbox, {o.Sends:N0} queued sends over {o.Connections} connections | {o.SentPerSecond:N0} sends/s | MailKit alone, same connections and mails: {o.RawBefore:N0} (before) / {o.RawAfter:N0} (after) msg/s | {r.OutboxToRaw:P0} |");
        Line($"| the outbox while {o.TimersWhileSending:N0} timers drain ({o.OverlapSeconds:N1} s together) | {o.SentPerSecondDuringTimers:N0} sends/s | the same raw MailKit | {r.OutboxDuringTimersToRaw:P0} |");
        foreach (var i in r.Instances)
            Line($"| {i.Events:N0} new customers' events over HTTP (arrays of 500) on {i.Active:N0} active instances | {i.EventsPerSecond:N0} events/s, {i.CpuPerEventMicroseconds:N0} µs CPU per event, RSS {i.RssAfter / 1048576.0:N0} MB (peak {i.PeakRss / 1048576.0:N0}), database {i.DatabaseBytes / 1048576.0:N0} MB | raw SQLite {r.RawSqliteCommitsPerSecond:N0} commits/s | {i.EventsPerSecond / r.RawSqliteCommitsPerSecond:N2} events per raw commit; CPU per event {i.CpuPerEventMicroseconds / r.Instances[0].CpuPerEventMicroseconds:N2}x the smallest store's |");
        foreach (var l in r.Latency.Loads)
            Line($"| publish (POST /events) to SMTP acceptance at {l.ShareOfCapacity:P0} of capacity ({l.PostedPerSecond:N0} events/s, {l.Events:N0} events) | p50 {l.P50:N2} s, p99 {l.P99:N2} s, max {l.Max:N2} s | capacity, same worker: {r.Latency.CapacityPerSecond:N0} events/s from post to `sent` (a burst of {r.Latency.CapacityEvents:N0} in arrays of 500; intake alone {r.Latency.IntakePerSecond:N0}/s) | |");
        Line($"");
        Line($"Counts checked: {w.Sent:N0} of {w.Wakeups:N0} wakeup mails `sent` ({w.SinkAccepted:N0} accepted by the SMTP server), {q.Fired:N0} of {q.Triggers:N0} Quartz triggers fired, {o.Sent:N0} of {o.Sends:N0} outbox mails sent ({o.SinkAccepted:N0} accepted), {o.TimersDecided:N0} of {o.TimersWhileSending:N0} timers decided, {string.Join(" and ", r.Latency.Loads.Select(l => $"{l.Sent:N0} of {l.Events:N0}"))} mails of the latency loads sent. The worker was ready {w.WorkerReadyBeforeDue:N1} s before the wakeups' instant (seeded at {w.SeededPerSecond:N0} customers/s); Quartz had its triggers stored {q.ScheduledBeforeDue:N1} s before theirs ({q.ScheduledPerSecond:N0} triggers stored/s).");
        Line($"");
        Line($"| goal (issue 11) | met |");
        Line($"|---|---|");
        foreach (var goal in r.Goals)
            Line($"| {goal.What} | {(goal.Met ? "yes" : "**no**")} |");
        Line($"");
        text.Append(End);
        return text.ToString();
    }
}
