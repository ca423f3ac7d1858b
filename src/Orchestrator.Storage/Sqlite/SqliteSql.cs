using Orchestrator.Storage.Relational;

namespace Orchestrator.Storage.Sqlite;

/// <summary>
/// What SQLite runs differently from SQL Server (the shared statements are in <see cref="SqlStatements"/>). Writers are serialized by SQLite itself (one write transaction at a
/// time, taken up front with BEGIN IMMEDIATE), so these need no lock hints.
/// </summary>
internal static class SqliteSql
{
    /// <summary>Persistent in the file; readers never wait for the writer.</summary>
    public const string EnableWal = "PRAGMA journal_mode = WAL;";

    private const string SendColumns = """
        send_key AS SendKey, at AS At, journey_id AS JourneyId, version AS Version, instance_id AS InstanceId, step_id AS StepId,
        customer_id AS CustomerId, variant AS Variant, to_address AS ToAddress, from_address AS FromAddress, subject AS Subject,
        preheader AS Preheader, html_body AS HtmlBody, text_body AS TextBody, outcome_index AS OutcomeIndex,
        window_days AS WindowDays, window_from AS WindowFrom, window_to AS WindowTo, time_zone AS TimeZone, attempts AS Attempts
        """;

    /// <summary>What this dialect runs differently; the rest is <see cref="SqlStatements"/>'s default.</summary>
    public static readonly SqlStatements Statements = new()
    {
        CreateMigrationsTable = """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER NOT NULL PRIMARY KEY,
                name       TEXT    NOT NULL,
                applied_at TEXT    NOT NULL
            ) STRICT;
            """,

        InsertInbox = """
            INSERT INTO inbox (event_id, customer_id, event_type, received_at)
            VALUES (@eventId, @customerId, @eventType, @receivedAt)
            ON CONFLICT (event_id) DO NOTHING;
            """,

        InsertCustomer = """
            INSERT INTO customers (customer_id, profile_json, unsubscribed, bounced_address, recent_sends_json, revision, updated_at)
            VALUES (@customerId, @profileJson, @unsubscribed, @bouncedAddress, @recentSendsJson, @revision, @now)
            ON CONFLICT (customer_id) DO NOTHING;
            """,

        /// <summary>A send key is decided once; a repeat of the same key is not queued twice.</summary>
        InsertSend = """
            INSERT INTO sends (send_key, at, journey_id, version, instance_id, step_id, customer_id, variant, to_address, from_address,
                               subject, preheader, html_body, text_body, outcome_index, revision, seq, status, attempts,
                               next_attempt_at, claimed_by, claimed_at, last_error, created_at, updated_at,
                               window_days, window_from, window_to, time_zone)
            VALUES (@sendKey, @at, @journeyId, @version, @instanceId, @stepId, @customerId, @variant, @toAddress, @fromAddress,
                    @subject, @preheader, @htmlBody, @textBody, @outcomeIndex, @revision, @seq, 'queued', 0,
                    @now, NULL, NULL, NULL, @now, @now,
                    @windowDays, @windowFrom, @windowTo, @timeZone)
            ON CONFLICT (send_key) DO NOTHING;
            """,

        InsertSuppression = """
            INSERT INTO suppressions (address, customer_id, reason, at)
            VALUES (@address, @customerId, @reason, @at)
            ON CONFLICT (address) DO NOTHING;
            """,

        ClaimSends = $"""
            UPDATE sends
            SET status = 'sending', claimed_by = @workerId, claimed_at = @now, updated_at = @now
            WHERE send_key IN (
                SELECT send_key FROM sends
                WHERE status = 'queued' AND next_attempt_at <= @now
                ORDER BY next_attempt_at, send_key
                LIMIT @max)
            RETURNING {SendColumns};
            """,

        MarkSent = """
            UPDATE sends SET status = 'sent', last_error = NULL, updated_at = @now
            WHERE send_key = @sendKey;
            """,

        MarkFailed = """
            UPDATE sends SET status = 'failed', last_error = @reason, updated_at = @now
            WHERE send_key = @sendKey AND status <> 'sent';
            """,

        /// <summary>
        /// Only a send still being sent goes back to the queue: one reported unknown, sent or failed stays as it is.
        /// @attempted (1 or 0) is whether the mail server was tried, which is what the retry limit counts.
        /// </summary>
        RetryLater = """
            UPDATE sends
            SET status = 'queued', attempts = attempts + @attempted, next_attempt_at = @retryAt, last_error = @reason,
                claimed_by = NULL, claimed_at = NULL, updated_at = @now
            WHERE send_key = @sendKey AND status = 'sending';
            """,

        MarkAbandoned = $"""
            UPDATE sends SET status = 'unknown', updated_at = @now
            WHERE status = 'sending' AND (claimed_by = @workerId OR claimed_at < @abandonedBefore)
            RETURNING {SendColumns};
            """,

        /// <summary>
        /// Claims every due row of the customers of the first @max due rows in (due_at, customer_id) order: at most @max
        /// customers, earliest due first (a customer's first row in that order is its earliest). The index on that order
        /// lets the claim stop after @max rows however many are due. Returns one row per claimed wakeup.
        /// </summary>
        ClaimWakeups = """
            UPDATE wakeups
            SET claimed_until = @leaseEnd
            WHERE due_at <= @dueBy AND (claimed_until IS NULL OR claimed_until < @now)
              AND customer_id IN (
                  SELECT customer_id FROM wakeups
                  WHERE due_at <= @dueBy AND (claimed_until IS NULL OR claimed_until < @now)
                  ORDER BY due_at, customer_id
                  LIMIT @max)
            RETURNING customer_id AS CustomerId, due_at AS DueAt;
            """,

        UpsertIntakeHold = """
            INSERT INTO intake_holds (worker_id, hold_at, updated_at)
            VALUES (@workerId, @holdAt, @now)
            ON CONFLICT (worker_id) DO UPDATE SET hold_at = excluded.hold_at, updated_at = excluded.updated_at;
            """,

        SelectLastSent = """
            SELECT send_key AS SendKey, customer_id AS CustomerId, journey_id AS JourneyId, version AS Version, step_id AS StepId,
                   instance_id AS InstanceId, at AS At
            FROM sends
            WHERE customer_id = @customerId AND at >= @since AND at <= @until AND status <> 'failed'
            ORDER BY at DESC, seq DESC
            LIMIT 1;
            """,

        DeleteExpiredEvents = """
            DELETE FROM events
            WHERE rowid IN (SELECT rowid FROM events WHERE received_at < @before LIMIT @batch);
            """,

        /// <summary>
        /// Empties the bodies of at most @batch sends that were sent or failed before @before: the outbox needs a body only
        /// until the hand-off, and the outcomes keep subject and recipient. The empty text marks a body pruned.
        /// </summary>
        PruneSendBodies = """
            UPDATE sends SET html_body = '', text_body = NULL
            WHERE rowid IN (SELECT rowid FROM sends WHERE status IN ('sent', 'failed') AND updated_at < @before AND html_body <> '' LIMIT @batch);
            """,

        /// <summary>Only the kinds that carry a reason or a goal event have their detail parsed: most rows are waits and sends.</summary>
        SelectJourneyOutcomes = """
            SELECT at AS At, customer_id AS CustomerId, instance_id AS InstanceId, version AS Version, step_id AS StepId,
                   kind AS Kind, variant AS Variant,
                   CASE WHEN kind IN ('skipped', 'suppressed', 'deferred', 'failed', 'exited', 'completed') THEN json_extract(detail_json, '$.reason') END AS Reason,
                   CASE WHEN kind = 'converted' THEN json_extract(detail_json, '$.eventId') END AS EventId
            FROM outcomes
            WHERE journey_id = @journeyId
            ORDER BY customer_id, instance_id, revision, seq;
            """,

        SelectConversions = """
            SELECT journey_id AS JourneyId, instance_id AS InstanceId, json_extract(detail_json, '$.eventId') AS EventId
            FROM outcomes
            WHERE kind = 'converted';
            """,

        UpsertJourneyVersion = """
            INSERT INTO journey_versions (journey_id, version, file_name, source_json, first_in_force_at, last_in_force_at)
            VALUES (@journeyId, @version, @fileName, @sourceJson, @now, @now)
            ON CONFLICT (journey_id, version) DO UPDATE SET last_in_force_at = excluded.last_in_force_at;
            """,
    };
}
