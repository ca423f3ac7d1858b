namespace Orchestrator.Storage.Relational;

// Row shapes Dapper fills. Time columns are object: SQLite hands back text, SQL Server a DateTimeOffset;
// StoredTime.Read turns either into a UTC DateTimeOffset.

internal sealed class CustomerRow
{
    public string CustomerId { get; set; } = "";
    public string ProfileJson { get; set; } = "";
    public bool Unsubscribed { get; set; }
    public string? BouncedAddress { get; set; }
    public string RecentSendsJson { get; set; } = "[]";
    public long Revision { get; set; }
}

internal sealed class InstanceRow
{
    public string InstanceId { get; set; } = "";
    public string JourneyId { get; set; } = "";
    public string Version { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string InstanceKey { get; set; } = "";
    public object EnteredAt { get; set; } = "";
    public string EntryEventId { get; set; } = "";
    public string EntryEventType { get; set; } = "";
    public string? EntryPropertiesJson { get; set; }
    public string Status { get; set; } = "";
    public string? StepId { get; set; }
    public string Waiting { get; set; } = "";
    public object? WakeAt { get; set; }
    public string? Variant { get; set; }
    public object? ConvertedAt { get; set; }
    public int SendCount { get; set; }
    public object? EndedAt { get; set; }
    public string? EndReason { get; set; }
}

internal sealed class SendRow
{
    public string SendKey { get; set; } = "";
    public object At { get; set; } = "";
    public string JourneyId { get; set; } = "";
    public string Version { get; set; } = "";
    public string InstanceId { get; set; } = "";
    public string StepId { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string? Variant { get; set; }
    public string ToAddress { get; set; } = "";
    public string? FromAddress { get; set; }
    public string Subject { get; set; } = "";
    public string? Preheader { get; set; }
    public string HtmlBody { get; set; } = "";
    public string? TextBody { get; set; }
    public int OutcomeIndex { get; set; }
    public long? WindowDays { get; set; }
    public string? WindowFrom { get; set; }
    public string? WindowTo { get; set; }
    public string? TimeZone { get; set; }
    public int Attempts { get; set; }
}

internal sealed class HandOffRow
{
    public string SendKey { get; set; } = "";
    public object At { get; set; } = "";
}

internal sealed class OutcomeRow
{
    public object At { get; set; } = "";
    public string JourneyId { get; set; } = "";
    public string Version { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string InstanceId { get; set; } = "";
    public string? StepId { get; set; }
    public string Kind { get; set; } = "";
    public string? Variant { get; set; }
    public string? DetailJson { get; set; }

    public Orchestrator.Core.Engine.Outcome ToOutcome() =>
        new(StoredTime.Read(At), JourneyId, Version, CustomerId, InstanceId, StepId, Kind, Variant, StateJson.ReadDetail(DetailJson));
}

internal sealed class WakeupClaimRow
{
    public string CustomerId { get; set; } = "";
    public object DueAt { get; set; } = "";
}

internal sealed class SendReferenceRow
{
    public string SendKey { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string JourneyId { get; set; } = "";
    public string Version { get; set; } = "";
    public string StepId { get; set; } = "";
    public string InstanceId { get; set; } = "";
    public object At { get; set; } = "";

    public Orchestrator.Core.Analysis.SendReference ToReference() => new(SendKey, CustomerId, JourneyId, Version, StepId, InstanceId, StoredTime.Read(At));
}

internal sealed class OutcomeFactRow
{
    public object At { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string InstanceId { get; set; } = "";
    public string Version { get; set; } = "";
    public string? StepId { get; set; }
    public string Kind { get; set; } = "";
    public string? Variant { get; set; }
    public string? Reason { get; set; }
    public string? EventId { get; set; }
}

internal sealed class FeedbackRow
{
    public string EventId { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public object At { get; set; } = "";
    public string Metric { get; set; } = "";
    public double Score { get; set; }
    public string Level { get; set; } = "";
    public bool Attributed { get; set; }
    public string? JourneyId { get; set; }
    public string? Version { get; set; }
    public string? StepId { get; set; }
    public string? InstanceId { get; set; }
    public string? SendKey { get; set; }
    public string? Comment { get; set; }
}

internal sealed class LoggedEventRow
{
    public string EventId { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string Type { get; set; } = "";
    public object OccurredAt { get; set; } = "";
}

internal sealed class StoredEventRow
{
    public string EventId { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string Type { get; set; } = "";
    public object OccurredAt { get; set; } = "";
    public object ReceivedAt { get; set; } = "";
    public string? PropertiesJson { get; set; }
    public string? CustomerJson { get; set; }
}

internal sealed class JourneyVersionRow
{
    public string JourneyId { get; set; } = "";
    public string Version { get; set; } = "";
    public string FileName { get; set; } = "";
    public string SourceJson { get; set; } = "";
    public object LastInForceAt { get; set; } = "";
}

internal sealed class ActiveVersionRow
{
    public string JourneyId { get; set; } = "";
    public string Version { get; set; } = "";
    public long Active { get; set; }
}

/// <summary>An instance's row as stored, compared by value.</summary>
internal sealed record StoredInstance(
    string InstanceId, int Ordinal, string JourneyId, string Version, string Key, DateTimeOffset EnteredAt, string EntryEventId,
    string EntryEventType, string? EntryPropertiesJson, string Status, string? StepId, string Waiting, DateTimeOffset? WakeAt,
    string? Variant, DateTimeOffset? ConvertedAt, int SendCount, DateTimeOffset? EndedAt, string? EndReason);
