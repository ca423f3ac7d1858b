namespace Orchestrator.Storage.Relational;

/// <summary>
/// Every statement the shared code runs. A statement whose text is the same on SQLite and SQL Server is written here
/// once, as the default; what differs (upserts, TOP/LIMIT, lock hints, JSON functions, RETURNING/OUTPUT, N'' literals)
/// is <c>required</c> and each dialect's set (<c>SqliteSql.Statements</c>, <c>SqlServerSql.Statements</c>) supplies it.
/// Adding a statement both share is one property here. Parameters are camelCase; selected columns are aliased to the
/// row classes' property names.
/// </summary>
internal sealed record SqlStatements
{
    private const string FeedbackColumns = """
        event_id AS EventId, customer_id AS CustomerId, at AS At, metric AS Metric, score AS Score, level AS Level,
        attributed AS Attributed, journey_id AS JourneyId, version AS Version, step_id AS StepId,
        instance_id AS InstanceId, send_key AS SendKey, comment AS Comment
        """;
    private const string EventColumns = """
        event_id AS EventId, customer_id AS CustomerId, event_type AS Type, occurred_at AS OccurredAt, received_at AS ReceivedAt,
        properties_json AS PropertiesJson, customer_json AS CustomerJson
        """;

    public required string CreateMigrationsTable { get; init; }

    public string SelectAppliedMigrations { get; init; } = "SELECT version FROM schema_migrations;";

    public string InsertMigration { get; init; } = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @appliedAt);";

    /// <summary>Affects 0 rows when the event id is already there.</summary>
    public required string InsertInbox { get; init; }

    public string SelectCustomer { get; init; } = """
        SELECT customer_id AS CustomerId, profile_json AS ProfileJson, unsubscribed AS Unsubscribed,
               bounced_address AS BouncedAddress, recent_sends_json AS RecentSendsJson, revision AS Revision
        FROM customers
        WHERE customer_id = @customerId;
        """;

    public string SelectInstances { get; init; } = """
        SELECT instance_id AS InstanceId, journey_id AS JourneyId, version AS Version, customer_id AS CustomerId,
               instance_key AS InstanceKey, entered_at AS EnteredAt, entry_event_id AS EntryEventId,
               entry_event_type AS EntryEventType, entry_properties_json AS EntryPropertiesJson, status AS Status,
               step_id AS StepId, waiting AS Waiting, wake_at AS WakeAt, variant AS Variant, converted_at AS ConvertedAt,
               send_count AS SendCount, ended_at AS EndedAt, end_reason AS EndReason
        FROM instances
        WHERE customer_id = @customerId
        ORDER BY ordinal;
        """;

    /// <summary>Affects 0 rows when the customer already exists.</summary>
    public required string InsertCustomer { get; init; }

    /// <summary>Affects 0 rows when the stored revision is not the expected one.</summary>
    public string UpdateCustomer { get; init; } = """
        UPDATE customers
        SET profile_json = @profileJson, unsubscribed = @unsubscribed, bounced_address = @bouncedAddress,
            recent_sends_json = @recentSendsJson, revision = @revision, updated_at = @now
        WHERE customer_id = @customerId AND revision = @expectedRevision;
        """;

    public string SelectRevision { get; init; } = "SELECT revision FROM customers WHERE customer_id = @customerId;";

    public string DeleteInstances { get; init; } = "DELETE FROM instances WHERE customer_id = @customerId;";

    public string InsertInstance { get; init; } = """
        INSERT INTO instances (customer_id, instance_id, ordinal, journey_id, version, instance_key, entered_at, entry_event_id,
                               entry_event_type, entry_properties_json, status, step_id, waiting, wake_at, variant, converted_at,
                               send_count, ended_at, end_reason)
        VALUES (@customerId, @instanceId, @ordinal, @journeyId, @version, @instanceKey, @enteredAt, @entryEventId,
                @entryEventType, @entryPropertiesJson, @status, @stepId, @waiting, @wakeAt, @variant, @convertedAt,
                @sendCount, @endedAt, @endReason);
        """;

    /// <summary>One instance that changed, in place: a decision rewrites only the instances it changed.</summary>
    public string UpdateInstance { get; init; } = """
        UPDATE instances
        SET ordinal = @ordinal, journey_id = @journeyId, version = @version, instance_key = @instanceKey, entered_at = @enteredAt,
            entry_event_id = @entryEventId, entry_event_type = @entryEventType, entry_properties_json = @entryPropertiesJson,
            status = @status, step_id = @stepId, waiting = @waiting, wake_at = @wakeAt, variant = @variant,
            converted_at = @convertedAt, send_count = @sendCount, ended_at = @endedAt, end_reason = @endReason
        WHERE customer_id = @customerId AND instance_id = @instanceId;
        """;

    public string DeleteInstance { get; init; } = "DELETE FROM instances WHERE customer_id = @customerId AND instance_id = @instanceId;";

    public string InsertOutcome { get; init; } = """
        INSERT INTO outcomes (at, journey_id, version, step_id, variant, customer_id, instance_id, kind, detail_json, send_key,
                              revision, seq, recorded_at)
        VALUES (@at, @journeyId, @version, @stepId, @variant, @customerId, @instanceId, @kind, @detailJson, @sendKey,
                @revision, @seq, @recordedAt);
        """;

    public string DeleteWakeups { get; init; } = "DELETE FROM wakeups WHERE customer_id = @customerId;";

    public string InsertWakeup { get; init; } = """
        INSERT INTO wakeups (customer_id, instance_id, due_at, claimed_until)
        VALUES (@customerId, @instanceId, @dueAt, NULL);
        """;

    public required string InsertSend { get; init; }

    public required string InsertSuppression { get; init; }

    public required string ClaimSends { get; init; }

    public required string MarkSent { get; init; }

    public required string MarkFailed { get; init; }

    public required string RetryLater { get; init; }

    public required string MarkAbandoned { get; init; }

    /// <summary>
    /// The outbox's outcome for a send, in the send's place in its decision (its revision and seq). Sent, failed and
    /// unknown happen once per send and carry its key (@outcomeSendKey = @sendKey), so a repeat records nothing; a
    /// deferral at hand-off can happen again and is stored without the key (@outcomeSendKey null), as the engine's are.
    /// </summary>
    public string InsertSendOutcome { get; init; } = """
        INSERT INTO outcomes (at, journey_id, version, step_id, variant, customer_id, instance_id, kind, detail_json, send_key,
                              revision, seq, recorded_at)
        SELECT @at, @journeyId, @version, @stepId, @variant, @customerId, @instanceId, @kind, @detailJson, @outcomeSendKey,
               s.revision, s.seq, @recordedAt
        FROM sends AS s
        WHERE s.send_key = @sendKey
          AND NOT EXISTS (SELECT 1 FROM outcomes AS o WHERE o.send_key IS NOT NULL AND o.send_key = @outcomeSendKey AND o.kind = @kind);
        """;

    /// <summary>Held at hand-off: queued again for @until without counting an attempt; only a send still being sent.</summary>
    public string DeferSend { get; init; } = """
        UPDATE sends
        SET status = 'queued', next_attempt_at = @until, claimed_by = NULL, claimed_at = NULL, updated_at = @now
        WHERE send_key = @sendKey AND status = 'sending';
        """;

    /// <summary>
    /// A customer's mails handed to the mail server after @since, by hand-off time: the claim that took a send to SMTP
    /// stays on its row once it is sent (or unknown); a send queued again or failed is not counted.
    /// </summary>
    public string SelectHandOffs { get; init; } = """
        SELECT send_key AS SendKey, claimed_at AS At
        FROM sends
        WHERE customer_id = @customerId AND claimed_at > @since AND status IN ('sending', 'sent', 'unknown');
        """;

    public required string ClaimWakeups { get; init; }

    // Intake holds (IIntakeHoldStore): a row per worker whose partitions hold timers back.
    public required string UpsertIntakeHold { get; init; }

    /// <summary>Drops @workerId's hold and any not renewed since @staleBefore (a worker that died holding).</summary>
    public string DeleteIntakeHold { get; init; } = """
        DELETE FROM intake_holds
        WHERE worker_id = @workerId OR updated_at < @staleBefore;
        """;

    /// <summary>The earliest hold of the other workers that renewed it at or after @freshSince.</summary>
    public string SelectEarliestIntakeHold { get; init; } = """
        SELECT MIN(hold_at)
        FROM intake_holds
        WHERE worker_id <> @workerId AND updated_at >= @freshSince;
        """;

    // The backlog (IBacklogReader), for health and gauges: each an aggregate over one index, no table rows read.
    /// <summary>Queued sends, those due by @now, and the earliest next attempt time (the oldest due one's, when it is by @now).</summary>
    public string SelectOutboxBacklog { get; init; } = """
        SELECT COUNT(*) AS Queued, COALESCE(SUM(CASE WHEN next_attempt_at <= @now THEN 1 ELSE 0 END), 0) AS Due,
               MIN(next_attempt_at) AS EarliestAttemptAt
        FROM sends
        WHERE status = 'queued';
        """;

    /// <summary>Wakeups due by @now, claimed or not, and the earliest due time among them.</summary>
    public string SelectWakeupBacklog { get; init; } = """
        SELECT COUNT(*) AS Due, MIN(due_at) AS OldestDueAt
        FROM wakeups
        WHERE due_at <= @now;
        """;

    public string SelectOutcomes { get; init; } = """
        SELECT at AS At, journey_id AS JourneyId, version AS Version, customer_id AS CustomerId, instance_id AS InstanceId,
               step_id AS StepId, kind AS Kind, variant AS Variant, detail_json AS DetailJson
        FROM outcomes
        ORDER BY at, customer_id, revision, seq, id;
        """;

    // The event log and feedback, written in the decision's unit of work.
    public string InsertEvent { get; init; } = """
        INSERT INTO events (event_id, customer_id, event_type, occurred_at, received_at, properties_json, customer_json)
        VALUES (@eventId, @customerId, @eventType, @occurredAt, @receivedAt, @propertiesJson, @customerJson);
        """;

    public string InsertFeedback { get; init; } = """
        INSERT INTO feedback (event_id, customer_id, at, metric, score, level, attributed, journey_id, version, step_id,
                              instance_id, send_key, comment, recorded_at)
        VALUES (@eventId, @customerId, @at, @metric, @score, @level, @attributed, @journeyId, @version, @stepId,
                @instanceId, @sendKey, @comment, @recordedAt);
        """;

    public string SelectSendByKey { get; init; } = """
        SELECT send_key AS SendKey, customer_id AS CustomerId, journey_id AS JourneyId, version AS Version, step_id AS StepId,
               instance_id AS InstanceId, at AS At
        FROM sends
        WHERE send_key = @sendKey;
        """;

    // Suppressions are keyed by the normalized address (AddressSuppression.Normalize), so equality is the whole rule.
    public string SelectSuppressed { get; init; } = "SELECT reason FROM suppressions WHERE address = @address;";

    // A resubscribe lifts only what an unsubscribe put there: a bounce of the address stays.
    public string DeleteUnsubscribed { get; init; } = "DELETE FROM suppressions WHERE address = @address AND reason = 'unsubscribed';";

    /// <summary>The customer's latest send in a time range that did not fail.</summary>
    public required string SelectLastSent { get; init; }

    /// <summary>Deletes at most @batch events received before @before; the cleanup repeats it until it deletes none.</summary>
    public required string DeleteExpiredEvents { get; init; }

    /// <summary>Empties at most @batch bodies of sends sent or failed before @before; the cleanup repeats it until it empties none.</summary>
    public required string PruneSendBodies { get; init; }

    // The analysis read side (IAnalysisReader).
    public string SelectJourneyIds { get; init; } = "SELECT DISTINCT journey_id FROM outcomes ORDER BY journey_id;";

    public required string SelectJourneyOutcomes { get; init; }

    public required string SelectConversions { get; init; }

    public string SelectFeedback { get; init; } = $"""
        SELECT {FeedbackColumns}
        FROM feedback
        WHERE journey_id = @journeyId OR level = 'relationship'
        ORDER BY at, customer_id, event_id;
        """;

    public string SelectCustomerFeedback { get; init; } = $"""
        SELECT {FeedbackColumns}
        FROM feedback
        WHERE customer_id = @customerId
        ORDER BY at, event_id;
        """;

    public string SelectEventsOfType { get; init; } = """
        SELECT event_id AS EventId, customer_id AS CustomerId, event_type AS Type, occurred_at AS OccurredAt
        FROM events
        WHERE event_type = @eventType
        ORDER BY occurred_at, event_id;
        """;

    /// <summary>A customer's logged events with their payloads, in arrival order (traces).</summary>
    public string SelectCustomerEvents { get; init; } = $"""
        SELECT {EventColumns}
        FROM events
        WHERE customer_id = @customerId
        ORDER BY received_at, occurred_at, event_id;
        """;

    /// <summary>Every logged event that occurred at or after @since, in arrival order (what-if replays).</summary>
    public string SelectEventsSince { get; init; } = $"""
        SELECT {EventColumns}
        FROM events
        WHERE occurred_at >= @since
        ORDER BY received_at, occurred_at, event_id;
        """;

    /// <summary>A customer's outcomes in the simulator's order (traces).</summary>
    public string SelectCustomerOutcomes { get; init; } = """
        SELECT at AS At, journey_id AS JourneyId, version AS Version, customer_id AS CustomerId, instance_id AS InstanceId,
               step_id AS StepId, kind AS Kind, variant AS Variant, detail_json AS DetailJson
        FROM outcomes
        WHERE customer_id = @customerId
        ORDER BY at, revision, seq, id;
        """;

    // Journey versions (IJourneyVersionStore).
    /// <summary>Inserts a version with its text, or sets last_in_force_at of a stored one.</summary>
    public required string UpsertJourneyVersion { get; init; }

    public string SelectJourneyVersions { get; init; } = """
        SELECT journey_id AS JourneyId, version AS Version, file_name AS FileName, source_json AS SourceJson,
               last_in_force_at AS LastInForceAt
        FROM journey_versions
        ORDER BY journey_id, last_in_force_at, version;
        """;

    public string SelectActiveVersions { get; init; } = """
        SELECT journey_id AS JourneyId, version AS Version, COUNT(*) AS Active
        FROM instances
        WHERE status = 'active'
        GROUP BY journey_id, version
        ORDER BY journey_id, version;
        """;
}
