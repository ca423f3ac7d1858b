using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Bench.Suite;

/// <summary>One run of the suite: the machine, the raw parts, every figure and its ratio, and whether each goal of issue 11 was met.</summary>
internal sealed record SuiteResults(
    string Mode, DateTimeOffset FinishedAt, double Seconds, Machine Machine, Load Load, string SmtpServer, double RawSqliteCommitsPerSecond,
    WakeupsResult Wakeups, QuartzResult Quartz, OutboxResult Outbox, IReadOnlyList<InstancesResult> Instances, LatencyResult Latency)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // "+00:00" and "µs" as they are, not as \u escapes: the file is read by people too.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public double WakeupsToQuartz => Wakeups.SentPerSecond / Quartz.FiredPerSecond;

    public double OutboxToRaw => Outbox.ToRaw;

    public double OutboxDuringTimersToRaw => Outbox.DuringTimersToRaw;

    /// <summary>CPU per event at the largest store against the smallest (1.0 = no dearer).</summary>
    public double CpuPerEventGrowth => Instances.Count < 2 ? 1 : Instances[^1].CpuPerEventMicroseconds / Instances[0].CpuPerEventMicroseconds;

    public IReadOnlyList<Goal> Goals =>
    [
        new("wakeups/s with email >= 2,000", Wakeups.SentPerSecond >= 2_000),
        new("wakeups/s >= 10x one Quartz trigger per wakeup", WakeupsToQuartz >= 10),
        new("p99 lateness of sent < 60 s", Wakeups.SentLatenessP99 < 60),
        new("outbox >= 80% of raw MailKit", OutboxToRaw >= 0.8),
        new("outbox while timers drain >= 80% of raw MailKit", OutboxDuringTimersToRaw >= 0.8),
        new("per-event CPU within 25% from the smallest to the largest store", CpuPerEventGrowth <= 1.25),
        new("RSS under 400 MB at every store size", Instances.All(i => i.PeakRss < 400L * 1024 * 1024)),
    ];

    public string ToJson()
    {
        var document = JsonSerializer.SerializeToNode(this, Json)!.AsObject();
        document["ratios"] = JsonSerializer.SerializeToNode(new { WakeupsToQuartz, OutboxToRaw, OutboxDuringTimersToRaw, CpuPerEventGrowth }, Json);
        document["quiet"] = Load.Quiet;
        return document.ToJsonString(Json);
    }
}

internal sealed record Goal(string What, bool Met);
