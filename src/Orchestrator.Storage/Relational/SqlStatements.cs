namespace Orchestrator.Storage.Relational;

/// <summary>
/// The statements the shared code runs, one set per provider (<c>SqliteSql</c>, <c>SqlServerSql</c>). Parameters are
/// camelCase; selected columns are aliased to the row classes' property names.
/// </summary>
internal sealed record SqlStatements
{
    public required string CreateMigrationsTable { get; init; }
    public required string SelectAppliedMigrations { get; init; }
    public required string InsertMigration { get; init; }

    /// <summary>Affects 0 rows when the event id is already there.</summary>
    public required string InsertInbox { get; init; }
    public required string SelectCustomer { get; init; }
    public required string SelectInstances { get; init; }

    /// <summary>Affects 0 rows when the customer already exists.</summary>
    public required string InsertCustomer { get; init; }

    /// <summary>Affects 0 rows when the stored revision is not the expected one.</summary>
    public required string UpdateCustomer { get; init; }
    public required string SelectRevision { get; init; }
    public required string DeleteInstances { get; init; }
    public required string InsertInstance { get; init; }
    public required string UpdateInstance { get; init; }
    public required string DeleteInstance { get; init; }
    public required string InsertOutcome { get; init; }
    public required string DeleteWakeups { get; init; }
    public required string InsertWakeup { get; init; }
    public required string InsertSend { get; init; }
    public required string InsertSuppression { get; init; }

    public required string ClaimSends { get; init; }
    public required string MarkSent { get; init; }
    public required string MarkFailed { get; init; }
    public required string RetryLater { get; init; }
    public required string MarkAbandoned { get; init; }

    /// <summary>The outbox's outcome (sent, failed, unknown) for a send, unless that kind is recorded for it already.</summary>
    public required string InsertSendOutcome { get; init; }

    /// <summary>A send held at hand-off goes back to the queue, due at @until; not an attempt.</summary>
    public required string DeferSend { get; init; }

    /// <summary>The customer's sends handed to the mail server after @since, with their hand-off time (the cap at hand-off).</summary>
    public required string SelectHandOffs { get; init; }

    public required string ClaimWakeups { get; init; }
    public required string NextWakeup { get; init; }

    public required string SelectOutcomes { get; init; }

    // The event log and feedback, written in the decision's unit of work.
    public required string InsertEvent { get; init; }
    public required string InsertFeedback { get; init; }
    public required string SelectSendByKey { get; init; }

    /// <summary>An address when a bounce suppressed it, for any customer.</summary>
    public required string SelectSuppressed { get; init; }
    public required string DeleteUnsubscribed { get; init; }

    /// <summary>The customer's latest send in a time range that did not fail.</summary>
    public required string SelectLastSent { get; init; }

    /// <summary>Deletes at most @batch events received before @before; the cleanup repeats it until it deletes none.</summary>
    public required string DeleteExpiredEvents { get; init; }

    /// <summary>Empties at most @batch bodies of sends sent or failed before @before; the cleanup repeats it until it empties none.</summary>
    public required string PruneSendBodies { get; init; }

    // The analysis read side (IAnalysisReader).
    public required string SelectJourneyIds { get; init; }
    public required string SelectJourneyOutcomes { get; init; }
    public required string SelectConversions { get; init; }
    public required string SelectFeedback { get; init; }
    public required string SelectCustomerFeedback { get; init; }
    public required string SelectEventsOfType { get; init; }

    /// <summary>A customer's logged events with their payloads, in arrival order (traces).</summary>
    public required string SelectCustomerEvents { get; init; }

    /// <summary>Every logged event that occurred at or after @since, in arrival order (what-if replays).</summary>
    public required string SelectEventsSince { get; init; }

    /// <summary>A customer's outcomes in the simulator's order (traces).</summary>
    public required string SelectCustomerOutcomes { get; init; }

    // Journey versions (IJourneyVersionStore).
    /// <summary>Inserts a version with its text, or sets last_in_force_at of a stored one.</summary>
    public required string UpsertJourneyVersion { get; init; }
    public required string SelectJourneyVersions { get; init; }
    public required string SelectActiveVersions { get; init; }
}
