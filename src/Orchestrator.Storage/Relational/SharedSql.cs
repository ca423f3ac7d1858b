namespace Orchestrator.Storage.Relational;

/// <summary>
/// Statements whose text is the same on SQLite and SQL Server (the event log, feedback and the analysis reads); each
/// dialect's statement set refers to them, so only what differs is written in <c>SqliteSql</c> or <c>SqlServerSql</c>.
/// </summary>
internal static class SharedSql
{
    public const string InsertEvent = """
        INSERT INTO events (event_id, customer_id, event_type, occurred_at, received_at, properties_json, customer_json)
        VALUES (@eventId, @customerId, @eventType, @occurredAt, @receivedAt, @propertiesJson, @customerJson);
        """;

    /// <summary>One instance that changed, in place: a decision rewrites only the instances it changed.</summary>
    public const string UpdateInstance = """
        UPDATE instances
        SET ordinal = @ordinal, journey_id = @journeyId, version = @version, instance_key = @instanceKey, entered_at = @enteredAt,
            entry_event_id = @entryEventId, entry_event_type = @entryEventType, entry_properties_json = @entryPropertiesJson,
            status = @status, step_id = @stepId, waiting = @waiting, wake_at = @wakeAt, variant = @variant,
            converted_at = @convertedAt, send_count = @sendCount, ended_at = @endedAt, end_reason = @endReason
        WHERE customer_id = @customerId AND instance_id = @instanceId;
        """;

    public const string DeleteInstance = "DELETE FROM instances WHERE customer_id = @customerId AND instance_id = @instanceId;";

    public const string InsertFeedback = """
        INSERT INTO feedback (event_id, customer_id, at, metric, score, level, attributed, journey_id, version, step_id,
                              instance_id, send_key, comment, recorded_at)
        VALUES (@eventId, @customerId, @at, @metric, @score, @level, @attributed, @journeyId, @version, @stepId,
                @instanceId, @sendKey, @comment, @recordedAt);
        """;

    public const string SelectSendByKey = """
        SELECT send_key AS SendKey, customer_id AS CustomerId, journey_id AS JourneyId, version AS Version, step_id AS StepId,
               instance_id AS InstanceId, at AS At
        FROM sends
        WHERE send_key = @sendKey;
        """;

    /// <summary>
    /// The outbox's outcome for a send, in the send's place in its decision (its revision and seq). Sent, failed and
    /// unknown happen once per send and carry its key (@outcomeSendKey = @sendKey), so a repeat records nothing; a
    /// deferral at hand-off can happen again and is stored without the key (@outcomeSendKey null), as the engine's are.
    /// </summary>
    public const string InsertSendOutcome = """
        INSERT INTO outcomes (at, journey_id, version, step_id, variant, customer_id, instance_id, kind, detail_json, send_key,
                              revision, seq, recorded_at)
        SELECT @at, @journeyId, @version, @stepId, @variant, @customerId, @instanceId, @kind, @detailJson, @outcomeSendKey,
               s.revision, s.seq, @recordedAt
        FROM sends AS s
        WHERE s.send_key = @sendKey
          AND NOT EXISTS (SELECT 1 FROM outcomes AS o WHERE o.send_key IS NOT NULL AND o.send_key = @outcomeSendKey AND o.kind = @kind);
        """;

    /// <summary>Held at hand-off: queued again for @until without counting an attempt; only a send still being sent.</summary>
    public const string DeferSend = """
        UPDATE sends
        SET status = 'queued', next_attempt_at = @until, claimed_by = NULL, claimed_at = NULL, updated_at = @now
        WHERE send_key = @sendKey AND status = 'sending';
        """;

    /// <summary>
    /// A customer's mails handed to the mail server after @since, by hand-off time: the claim that took a send to SMTP
    /// stays on its row once it is sent (or unknown); a send queued again or failed is not counted.
    /// </summary>
    public const string SelectHandOffs = """
        SELECT send_key AS SendKey, claimed_at AS At
        FROM sends
        WHERE customer_id = @customerId AND claimed_at > @since AND status IN ('sending', 'sent', 'unknown');
        """;

    // Suppressions are keyed by the normalized address (AddressSuppression.Normalize), so equality is the whole rule.
    public const string SelectSuppressed = "SELECT reason FROM suppressions WHERE address = @address;";

    // A resubscribe lifts only what an unsubscribe put there: a bounce of the address stays.
    public const string DeleteUnsubscribed = "DELETE FROM suppressions WHERE address = @address AND reason = 'unsubscribed';";

    public const string SelectJourneyIds = "SELECT DISTINCT journey_id FROM outcomes ORDER BY journey_id;";

    private const string FeedbackColumns = """
        event_id AS EventId, customer_id AS CustomerId, at AS At, metric AS Metric, score AS Score, level AS Level,
        attributed AS Attributed, journey_id AS JourneyId, version AS Version, step_id AS StepId,
        instance_id AS InstanceId, send_key AS SendKey, comment AS Comment
        """;

    public const string SelectFeedback = $"""
        SELECT {FeedbackColumns}
        FROM feedback
        WHERE journey_id = @journeyId OR level = 'relationship'
        ORDER BY at, customer_id, event_id;
        """;

    public const string SelectCustomerFeedback = $"""
        SELECT {FeedbackColumns}
        FROM feedback
        WHERE customer_id = @customerId
        ORDER BY at, event_id;
        """;

    public const string SelectEventsOfType = """
        SELECT event_id AS EventId, customer_id AS CustomerId, event_type AS Type, occurred_at AS OccurredAt
        FROM events
        WHERE event_type = @eventType
        ORDER BY occurred_at, event_id;
        """;

    private const string EventColumns = """
        event_id AS EventId, customer_id AS CustomerId, event_type AS Type, occurred_at AS OccurredAt, received_at AS ReceivedAt,
        properties_json AS PropertiesJson, customer_json AS CustomerJson
        """;

    public const string SelectCustomerEvents = $"""
        SELECT {EventColumns}
        FROM events
        WHERE customer_id = @customerId
        ORDER BY received_at, occurred_at, event_id;
        """;

    public const string SelectEventsSince = $"""
        SELECT {EventColumns}
        FROM events
        WHERE occurred_at >= @since
        ORDER BY received_at, occurred_at, event_id;
        """;

    public const string SelectCustomerOutcomes = """
        SELECT at AS At, journey_id AS JourneyId, version AS Version, customer_id AS CustomerId, instance_id AS InstanceId,
               step_id AS StepId, kind AS Kind, variant AS Variant, detail_json AS DetailJson
        FROM outcomes
        WHERE customer_id = @customerId
        ORDER BY at, revision, seq, id;
        """;

    public const string SelectJourneyVersions = """
        SELECT journey_id AS JourneyId, version AS Version, file_name AS FileName, source_json AS SourceJson,
               last_in_force_at AS LastInForceAt
        FROM journey_versions
        ORDER BY journey_id, last_in_force_at, version;
        """;

    public const string SelectActiveVersions = """
        SELECT journey_id AS JourneyId, version AS Version, COUNT(*) AS Active
        FROM instances
        WHERE status = 'active'
        GROUP BY journey_id, version
        ORDER BY journey_id, version;
        """;
}
