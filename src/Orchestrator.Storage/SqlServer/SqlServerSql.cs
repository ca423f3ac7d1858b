using Orchestrator.Storage.Relational;

namespace Orchestrator.Storage.SqlServer;

/// <summary>
/// What SQL Server runs differently from SQLite (shared statements: <see cref="SqlStatements"/>; the migrations are in <see cref="SqlServerMigrations"/>); a test
/// parses each one. A unit of work holds an exclusive application lock on its customer (<see cref="GetAppLock"/>)
/// until it ends, so reads under read committed snapshot see the latest committed state of that customer, and the
/// customer's own rows (customer, instances, sends, wakeups) need no further locking. Rows other units may insert at the
/// same time are the inbox (a duplicate key there means "seen before") and suppressions (UPDLOCK, HOLDLOCK). The outbox
/// updates the send's row before it records the send's outcome, so that row's lock orders them. Queue claims skip rows
/// others hold with READPAST and read with locks (READCOMMITTEDLOCK), so skipping also works with read committed snapshot on.
/// </summary>
internal static class SqlServerSql
{
    /// <summary>Returns sp_getapplock's result: 0 or 1 granted, negative not granted (timeout, deadlock, error).</summary>
    public const string GetAppLock = """
        DECLARE @result int;
        EXEC @result = sp_getapplock @Resource = @resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = @lockTimeoutMs;
        SELECT @result;
        """;

    /// <summary>What this dialect runs differently; the rest is <see cref="SqlStatements"/>'s default.</summary>
    public static readonly SqlStatements Statements = new()
    {
        CreateMigrationsTable = """
            IF OBJECT_ID(N'schema_migrations', N'U') IS NULL
                CREATE TABLE schema_migrations (
                    version    int               NOT NULL CONSTRAINT pk_schema_migrations PRIMARY KEY,
                    name       nvarchar(200)     NOT NULL,
                    applied_at datetimeoffset(7) NOT NULL
                );
            """,

        /// <summary>Two units inserting one event id at once: the second waits for the first and fails on the key, which means "seen".</summary>
        InsertInbox = """
            INSERT INTO inbox (event_id, customer_id, event_type, received_at)
            SELECT @eventId, @customerId, @eventType, @receivedAt
            WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE event_id = @eventId);
            """,

        InsertCustomer = """
            INSERT INTO customers (customer_id, profile_json, unsubscribed, bounced_address, recent_sends_json, revision, updated_at)
            SELECT @customerId, @profileJson, @unsubscribed, @bouncedAddress, @recentSendsJson, @revision, @now
            WHERE NOT EXISTS (SELECT 1 FROM customers WHERE customer_id = @customerId);
            """,

        /// <summary>A send key is decided once; a repeat of the same key is not queued twice.</summary>
        InsertSend = """
            INSERT INTO sends (send_key, at, journey_id, version, instance_id, step_id, customer_id, variant, to_address, from_address,
                               subject, preheader, html_body, text_body, outcome_index, revision, seq, status, attempts,
                               next_attempt_at, claimed_by, claimed_at, last_error, created_at, updated_at,
                               window_days, window_from, window_to, time_zone)
            SELECT @sendKey, @at, @journeyId, @version, @instanceId, @stepId, @customerId, @variant, @toAddress, @fromAddress,
                   @subject, @preheader, @htmlBody, @textBody, @outcomeIndex, @revision, @seq, N'queued', 0,
                   @now, NULL, NULL, NULL, @now, @now,
                   @windowDays, @windowFrom, @windowTo, @timeZone
            WHERE NOT EXISTS (SELECT 1 FROM sends WHERE send_key = @sendKey);
            """,

        /// <summary>Several customers can share an address, so concurrent units may insert the same one: the check locks.</summary>
        InsertSuppression = """
            INSERT INTO suppressions (address, customer_id, reason, at)
            SELECT @address, @customerId, @reason, @at
            WHERE NOT EXISTS (SELECT 1 FROM suppressions WITH (UPDLOCK, HOLDLOCK) WHERE address = @address);
            """,

        /// <summary>Oldest due first; rows another claimer has locked are skipped, not waited for.</summary>
        ClaimSends = """
            WITH due AS (
                SELECT TOP (@max) send_key, at, journey_id, version, instance_id, step_id, customer_id, variant, to_address,
                       from_address, subject, preheader, html_body, text_body, outcome_index, window_days, window_from,
                       window_to, time_zone, attempts, status, claimed_by, claimed_at, updated_at
                FROM sends WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
                WHERE status = N'queued' AND next_attempt_at <= @now
                ORDER BY next_attempt_at, send_key)
            UPDATE due
            SET status = N'sending', claimed_by = @workerId, claimed_at = @now, updated_at = @now
            OUTPUT inserted.send_key AS SendKey, inserted.at AS At, inserted.journey_id AS JourneyId, inserted.version AS Version,
                   inserted.instance_id AS InstanceId, inserted.step_id AS StepId, inserted.customer_id AS CustomerId,
                   inserted.variant AS Variant, inserted.to_address AS ToAddress, inserted.from_address AS FromAddress,
                   inserted.subject AS Subject, inserted.preheader AS Preheader, inserted.html_body AS HtmlBody,
                   inserted.text_body AS TextBody, inserted.outcome_index AS OutcomeIndex, inserted.window_days AS WindowDays,
                   inserted.window_from AS WindowFrom, inserted.window_to AS WindowTo, inserted.time_zone AS TimeZone,
                   inserted.attempts AS Attempts;
            """,

        MarkSent = """
            UPDATE sends SET status = N'sent', last_error = NULL, updated_at = @now
            WHERE send_key = @sendKey;
            """,

        MarkFailed = """
            UPDATE sends SET status = N'failed', last_error = @reason, updated_at = @now
            WHERE send_key = @sendKey AND status <> N'sent';
            """,

        /// <summary>
        /// Only a send still being sent goes back to the queue: one reported unknown, sent or failed stays as it is.
        /// @attempted (1 or 0) is whether the mail server was tried, which is what the retry limit counts.
        /// </summary>
        RetryLater = """
            UPDATE sends
            SET status = N'queued', attempts = attempts + @attempted, next_attempt_at = @retryAt, last_error = @reason,
                claimed_by = NULL, claimed_at = NULL, updated_at = @now
            WHERE send_key = @sendKey AND status = N'sending';
            """,

        MarkAbandoned = """
            UPDATE sends SET status = N'unknown', updated_at = @now
            OUTPUT inserted.send_key AS SendKey, inserted.at AS At, inserted.journey_id AS JourneyId, inserted.version AS Version,
                   inserted.instance_id AS InstanceId, inserted.step_id AS StepId, inserted.customer_id AS CustomerId,
                   inserted.variant AS Variant, inserted.to_address AS ToAddress, inserted.from_address AS FromAddress,
                   inserted.subject AS Subject, inserted.preheader AS Preheader, inserted.html_body AS HtmlBody,
                   inserted.text_body AS TextBody, inserted.outcome_index AS OutcomeIndex, inserted.window_days AS WindowDays,
                   inserted.window_from AS WindowFrom, inserted.window_to AS WindowTo, inserted.time_zone AS TimeZone
            WHERE status = N'sending' AND (claimed_by = @workerId OR claimed_at < @abandonedBefore);
            """,

        /// <summary>Claims every due row of up to @max customers (earliest due first), skipping rows another claimer holds.</summary>
        ClaimWakeups = """
            WITH due AS (
                SELECT TOP (@max) customer_id
                FROM wakeups WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)
                WHERE due_at <= @dueBy AND (claimed_until IS NULL OR claimed_until < @now)
                ORDER BY due_at, customer_id)
            UPDATE w
            SET claimed_until = @leaseEnd
            OUTPUT inserted.customer_id AS CustomerId, inserted.due_at AS DueAt
            FROM wakeups AS w WITH (READPAST, ROWLOCK)
            WHERE w.customer_id IN (SELECT customer_id FROM due)
              AND w.due_at <= @dueBy AND (w.claimed_until IS NULL OR w.claimed_until < @now);
            """,

        /// <summary>Only the worker itself writes its row, so an update and, where it found none, an insert cannot race.</summary>
        UpsertIntakeHold = """
            UPDATE intake_holds SET hold_at = @holdAt, updated_at = @now WHERE worker_id = @workerId;
            IF @@ROWCOUNT = 0
                INSERT INTO intake_holds (worker_id, hold_at, updated_at) VALUES (@workerId, @holdAt, @now);
            """,

        SelectLastSent = """
            SELECT TOP (1) send_key AS SendKey, customer_id AS CustomerId, journey_id AS JourneyId, version AS Version,
                   step_id AS StepId, instance_id AS InstanceId, at AS At
            FROM sends
            WHERE customer_id = @customerId AND at >= @since AND at <= @until AND status <> N'failed'
            ORDER BY at DESC, seq DESC;
            """,

        DeleteExpiredEvents = """
            DELETE TOP (@batch) FROM events
            WHERE received_at < @before;
            """,

        /// <summary>
        /// Empties the bodies of at most @batch sends that were sent or failed before @before: the outbox needs a body only
        /// until the hand-off, and the outcomes keep subject and recipient. The empty text marks a body pruned.
        /// </summary>
        PruneSendBodies = """
            UPDATE TOP (@batch) sends SET html_body = N'', text_body = NULL
            WHERE status IN ('sent', 'failed') AND updated_at < @before AND html_body <> N'';
            """,

        /// <summary>Only the kinds that carry a reason or a goal event have their detail parsed: most rows are waits and sends.</summary>
        SelectJourneyOutcomes = """
            SELECT at AS At, customer_id AS CustomerId, instance_id AS InstanceId, version AS Version, step_id AS StepId,
                   kind AS Kind, variant AS Variant,
                   CASE WHEN kind IN (N'skipped', N'suppressed', N'deferred', N'failed', N'exited', N'completed') THEN JSON_VALUE(detail_json, '$.reason') END AS Reason,
                   CASE WHEN kind = N'converted' THEN JSON_VALUE(detail_json, '$.eventId') END AS EventId
            FROM outcomes
            WHERE journey_id = @journeyId
            ORDER BY customer_id, instance_id, revision, seq;
            """,

        SelectConversions = """
            SELECT journey_id AS JourneyId, instance_id AS InstanceId, JSON_VALUE(detail_json, '$.eventId') AS EventId
            FROM outcomes
            WHERE kind = N'converted';
            """,

        // HOLDLOCK: two workers starting together must not both insert the same version.
        UpsertJourneyVersion = """
            MERGE journey_versions WITH (HOLDLOCK) AS target
            USING (SELECT @journeyId AS journey_id, @version AS version) AS source
            ON target.journey_id = source.journey_id AND target.version = source.version
            WHEN MATCHED THEN UPDATE SET last_in_force_at = @now
            WHEN NOT MATCHED THEN
                INSERT (journey_id, version, file_name, source_json, first_in_force_at, last_in_force_at)
                VALUES (@journeyId, @version, @fileName, @sourceJson, @now, @now);
            """,
    };
}
