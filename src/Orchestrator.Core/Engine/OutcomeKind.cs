namespace Orchestrator.Core.Engine;

/// <summary>The outcome vocabulary of docs/journey-format.md, plus the worker's in-flight states.</summary>
public static class OutcomeKind
{
    public const string Entered = "entered";
    public const string Sent = "sent";
    public const string Skipped = "skipped";
    public const string Suppressed = "suppressed";
    public const string Deferred = "deferred";
    public const string Failed = "failed";
    public const string Waiting = "waiting";
    public const string Resumed = "resumed";
    public const string Branched = "branched";
    public const string Assigned = "assigned";
    public const string Converted = "converted";
    public const string Exited = "exited";
    public const string Completed = "completed";

    /// <summary>Worker only: handed to SMTP, not yet confirmed.</summary>
    public const string Sending = "sending";

    /// <summary>Worker only: a crash happened while <see cref="Sending"/>; never silently repeated.</summary>
    public const string Unknown = "unknown";

    public static readonly IReadOnlyList<string> Spec =
        [Entered, Sent, Skipped, Suppressed, Deferred, Failed, Waiting, Resumed, Branched, Assigned, Converted, Exited, Completed];
}
