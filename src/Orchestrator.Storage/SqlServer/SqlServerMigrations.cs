using Orchestrator.Storage.Relational;

namespace Orchestrator.Storage.SqlServer;

/// <summary>
/// The SQL Server schema, one numbered script (one batch, no GO) per change; never edit a released script, add the
/// next number. Identifiers use a binary collation: ids are case-sensitive and sort ordinally, as in the engine.
/// Times are datetimeoffset(7) in UTC. Read committed snapshot is recommended (ALTER DATABASE ... SET
/// READ_COMMITTED_SNAPSHOT ON cannot run inside a transaction, so it is set once per database by whoever creates it).
/// </summary>
internal static class SqlServerMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "tables", """
            CREATE TABLE customers (
                customer_id       nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_customers PRIMARY KEY,
                profile_json      nvarchar(max)     NOT NULL,
                unsubscribed      bit               NOT NULL,
                bounced_address   nvarchar(320)     NULL,
                recent_sends_json nvarchar(max)     NOT NULL,
                revision          bigint            NOT NULL,
                updated_at        datetimeoffset(7) NOT NULL
            );

            -- ordinal keeps the engine's list order, which decides the order of some outcomes.
            CREATE TABLE instances (
                customer_id           nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                instance_id           nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
                ordinal               int               NOT NULL,
                journey_id            nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
                version               nvarchar(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                instance_key          nvarchar(400)     NOT NULL,
                entered_at            datetimeoffset(7) NOT NULL,
                entry_event_id        nvarchar(256)     NOT NULL,
                entry_event_type      nvarchar(256)     NOT NULL,
                entry_properties_json nvarchar(max)     NULL,
                status                nvarchar(16)      NOT NULL,
                step_id               nvarchar(128)     NULL,
                waiting               nvarchar(16)      NOT NULL,
                wake_at               datetimeoffset(7) NULL,
                variant               nvarchar(128)     NULL,
                converted_at          datetimeoffset(7) NULL,
                send_count            int               NOT NULL,
                ended_at              datetimeoffset(7) NULL,
                end_reason            nvarchar(400)     NULL,
                CONSTRAINT pk_instances PRIMARY KEY (customer_id, instance_id)
            );

            CREATE TABLE inbox (
                event_id    nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_inbox PRIMARY KEY,
                customer_id nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                event_type  nvarchar(256)     NOT NULL,
                received_at datetimeoffset(7) NOT NULL
            );

            -- revision is the customer revision whose decision produced the outcome and seq its place in that decision:
            -- (at, customer_id, revision, seq) is the simulator's order. send_key is set on the outbox's outcomes.
            CREATE TABLE outcomes (
                id          bigint IDENTITY(1, 1) NOT NULL CONSTRAINT pk_outcomes PRIMARY KEY,
                at          datetimeoffset(7) NOT NULL,
                journey_id  nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
                version     nvarchar(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                step_id     nvarchar(128)     NULL,
                variant     nvarchar(128)     NULL,
                customer_id nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                instance_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
                kind        nvarchar(32)      NOT NULL,
                detail_json nvarchar(max)     NULL,
                send_key    nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL,
                revision    bigint            NOT NULL,
                seq         int               NOT NULL,
                recorded_at datetimeoffset(7) NOT NULL
            );

            CREATE TABLE wakeups (
                customer_id   nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                instance_id   nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
                due_at        datetimeoffset(7) NOT NULL,
                claimed_until datetimeoffset(7) NULL,
                CONSTRAINT pk_wakeups PRIMARY KEY (customer_id, instance_id)
            );

            CREATE TABLE sends (
                send_key        nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_sends PRIMARY KEY,
                at              datetimeoffset(7) NOT NULL,
                journey_id      nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
                version         nvarchar(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                instance_id     nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
                step_id         nvarchar(128)     NOT NULL,
                customer_id     nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                variant         nvarchar(128)     NULL,
                to_address      nvarchar(320)     NOT NULL,
                from_address    nvarchar(400)     NULL,
                subject         nvarchar(1000)    NOT NULL,
                preheader       nvarchar(1000)    NULL,
                html_body       nvarchar(max)     NOT NULL,
                text_body       nvarchar(max)     NULL,
                outcome_index   int               NOT NULL,
                revision        bigint            NOT NULL,
                seq             int               NOT NULL,
                status          nvarchar(16)      NOT NULL CONSTRAINT ck_sends_status CHECK (status IN (N'queued', N'sending', N'sent', N'failed', N'unknown')),
                attempts        int               NOT NULL,
                next_attempt_at datetimeoffset(7) NOT NULL,
                claimed_by      nvarchar(200)     NULL,
                claimed_at      datetimeoffset(7) NULL,
                last_error      nvarchar(max)     NULL,
                created_at      datetimeoffset(7) NOT NULL,
                updated_at      datetimeoffset(7) NOT NULL
            );

            -- Addresses in lower case.
            CREATE TABLE suppressions (
                address     nvarchar(320) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_suppressions PRIMARY KEY,
                customer_id nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                reason      nvarchar(64)      NOT NULL,
                at          datetimeoffset(7) NOT NULL
            );
            """),
        new(2, "indexes", """
            -- instances(customer_id) is served by the primary key (customer_id, instance_id).
            CREATE INDEX ix_wakeups_due_at ON wakeups (due_at) INCLUDE (claimed_until);
            CREATE INDEX ix_sends_status_next_attempt_at ON sends (status, next_attempt_at);
            CREATE INDEX ix_outcomes_journey_id_at ON outcomes (journey_id, at);
            CREATE INDEX ix_outcomes_customer_id ON outcomes (customer_id);
            CREATE UNIQUE INDEX ux_outcomes_send_key_kind ON outcomes (send_key, kind) WHERE send_key IS NOT NULL;
            """),
        new(3, "analysis", """
            -- The event log: every accepted event with its payload, written with its decision, kept for
            -- Orchestrator:Analysis:EventRetention after it was received (replays, traces, guardrails, retention).
            CREATE TABLE events (
                event_id        nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_events PRIMARY KEY,
                customer_id     nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                event_type      nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                occurred_at     datetimeoffset(7) NOT NULL,
                received_at     datetimeoffset(7) NOT NULL,
                properties_json nvarchar(max)     NULL,
                customer_json   nvarchar(max)     NULL
            );
            CREATE INDEX ix_events_customer_id_occurred_at ON events (customer_id, occurred_at);
            CREATE INDEX ix_events_event_type_occurred_at ON events (event_type, occurred_at);
            CREATE INDEX ix_events_received_at ON events (received_at);

            -- Survey answers (feedback.submitted) with what they were attributed to; kept, unlike the event log.
            CREATE TABLE feedback (
                event_id    nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_feedback PRIMARY KEY,
                customer_id nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
                at          datetimeoffset(7) NOT NULL,
                metric      nvarchar(16)      NOT NULL,
                score       float             NOT NULL,
                level       nvarchar(16)      NOT NULL,
                attributed  bit               NOT NULL,
                journey_id  nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL,
                version     nvarchar(64)  COLLATE Latin1_General_100_BIN2 NULL,
                step_id     nvarchar(128)     NULL,
                instance_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL,
                send_key    nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL,
                comment     nvarchar(max)     NULL,
                recorded_at datetimeoffset(7) NOT NULL
            );
            CREATE INDEX ix_feedback_customer_id_at ON feedback (customer_id, at);

            -- A report reads one journey instance by instance, in decision order, without sorting.
            CREATE INDEX ix_outcomes_journey_instance ON outcomes (journey_id, customer_id, instance_id, revision, seq);
            -- Shared conversions read every journey's conversions: a few percent of the rows.
            CREATE INDEX ix_outcomes_converted ON outcomes (journey_id, instance_id) WHERE kind = N'converted';
            CREATE INDEX ix_feedback_journey_id ON feedback (journey_id, level);
            -- Feedback finds the customer's last email.
            CREATE INDEX ix_sends_customer_id_at ON sends (customer_id, at) INCLUDE (status);
            """),
        new(4, "journey versions", """
            -- Every journey version a worker put in force, with the text it was parsed from (JourneySource as JSON):
            -- customers pinned to a version finish on it after a restart, on another worker, or while its file is
            -- broken. last_in_force_at tells which version of a file ran last.
            CREATE TABLE journey_versions (
                journey_id        nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
                version           nvarchar(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
                file_name         nvarchar(400)     NOT NULL,
                source_json       nvarchar(max)     NOT NULL,
                first_in_force_at datetimeoffset(7) NOT NULL,
                last_in_force_at  datetimeoffset(7) NOT NULL,
                CONSTRAINT pk_journey_versions PRIMARY KEY (journey_id, version)
            );
            """),
        new(5, "hand-off rules", """
            -- The send window travels with the send, so the mail is held when it is handed to the mail server outside
            -- it (issue 9): the journey's window (window_days: bit n for DayOfWeek n, Sunday = 0; times "HH:mm") and
            -- the customer's zone the decision judged it in. Null on older rows: no window is known, none is checked.
            ALTER TABLE sends ADD
                window_days int          NULL,
                window_from nvarchar(5)  NULL,
                window_to   nvarchar(5)  NULL,
                time_zone   nvarchar(64) NULL;
            """),
        new(6, "wakeup claim order", """
            -- The claim walks due wakeups in (due_at, customer_id) order and stops after @max of them, so a backlog of
            -- 100,000 wakeups due at one instant is not grouped whole at every claim; claimed_until is included so that
            -- rows another worker holds are skipped without a lookup.
            CREATE INDEX ix_wakeups_due_at_customer_id ON wakeups (due_at, customer_id) INCLUDE (claimed_until);
            DROP INDEX ix_wakeups_due_at ON wakeups;
            """),
        new(7, "intake holds", """
            -- A worker's partitions working off a backlog hold timers back (IntakeProgress); the hold is kept here so that
            -- every worker's timers wait for it, not only its own (a standby ran the timers while the active worker was
            -- behind). A row per holding worker, renewed while it holds; a row not renewed is a worker that died.
            CREATE TABLE intake_holds (
                worker_id  nvarchar(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
                hold_at    datetimeoffset(7) NOT NULL,
                updated_at datetimeoffset(7) NOT NULL,
                CONSTRAINT pk_intake_holds PRIMARY KEY (worker_id)
            );
            """),
        new(8, "send claim order", """
            -- The claim walks due sends in (next_attempt_at, send_key) order and stops after @max of them. The sends a batch
            -- queues share their next_attempt_at, and without send_key in the index every claim sorted every due send:
            -- 60% of the outbox's time with 20,000 queued on SQLite (issue 11). The backlog's aggregates read the same index.
            CREATE INDEX ix_sends_status_next_attempt_at_send_key ON sends (status, next_attempt_at, send_key);
            DROP INDEX ix_sends_status_next_attempt_at ON sends;
            """),
    ];
}
