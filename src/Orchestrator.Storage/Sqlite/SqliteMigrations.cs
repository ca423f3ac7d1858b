using Orchestrator.Storage.Relational;

namespace Orchestrator.Storage.Sqlite;

/// <summary>
/// The SQLite schema, one numbered script per change; never edit a released script, add the next number.
/// Times are UTC text 'yyyy-MM-ddTHH:mm:ss.fffffffZ' (fixed width, so text order is time order). Tables are STRICT.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "tables", """
            CREATE TABLE customers (
                customer_id       TEXT    NOT NULL PRIMARY KEY,
                profile_json      TEXT    NOT NULL,
                unsubscribed      INTEGER NOT NULL,
                bounced_address   TEXT    NULL,
                recent_sends_json TEXT    NOT NULL,
                revision          INTEGER NOT NULL,
                updated_at        TEXT    NOT NULL
            ) STRICT;

            -- ordinal keeps the engine's list order, which decides the order of some outcomes.
            CREATE TABLE instances (
                customer_id           TEXT    NOT NULL,
                instance_id           TEXT    NOT NULL,
                ordinal               INTEGER NOT NULL,
                journey_id            TEXT    NOT NULL,
                version               TEXT    NOT NULL,
                instance_key          TEXT    NOT NULL,
                entered_at            TEXT    NOT NULL,
                entry_event_id        TEXT    NOT NULL,
                entry_event_type      TEXT    NOT NULL,
                entry_properties_json TEXT    NULL,
                status                TEXT    NOT NULL,
                step_id               TEXT    NULL,
                waiting               TEXT    NOT NULL,
                wake_at               TEXT    NULL,
                variant               TEXT    NULL,
                converted_at          TEXT    NULL,
                send_count            INTEGER NOT NULL,
                ended_at              TEXT    NULL,
                end_reason            TEXT    NULL,
                PRIMARY KEY (customer_id, instance_id)
            ) STRICT;

            CREATE TABLE inbox (
                event_id    TEXT NOT NULL PRIMARY KEY,
                customer_id TEXT NOT NULL,
                event_type  TEXT NOT NULL,
                received_at TEXT NOT NULL
            ) STRICT;

            -- revision is the customer revision whose decision produced the outcome and seq its place in that decision:
            -- (at, customer_id, revision, seq) is the simulator's order. send_key is set on the outbox's outcomes.
            CREATE TABLE outcomes (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                at          TEXT    NOT NULL,
                journey_id  TEXT    NOT NULL,
                version     TEXT    NOT NULL,
                step_id     TEXT    NULL,
                variant     TEXT    NULL,
                customer_id TEXT    NOT NULL,
                instance_id TEXT    NOT NULL,
                kind        TEXT    NOT NULL,
                detail_json TEXT    NULL,
                send_key    TEXT    NULL,
                revision    INTEGER NOT NULL,
                seq         INTEGER NOT NULL,
                recorded_at TEXT    NOT NULL
            ) STRICT;

            CREATE TABLE wakeups (
                customer_id   TEXT NOT NULL,
                instance_id   TEXT NOT NULL,
                due_at        TEXT NOT NULL,
                claimed_until TEXT NULL,
                PRIMARY KEY (customer_id, instance_id)
            ) STRICT;

            CREATE TABLE sends (
                send_key        TEXT    NOT NULL PRIMARY KEY,
                at              TEXT    NOT NULL,
                journey_id      TEXT    NOT NULL,
                version         TEXT    NOT NULL,
                instance_id     TEXT    NOT NULL,
                step_id         TEXT    NOT NULL,
                customer_id     TEXT    NOT NULL,
                variant         TEXT    NULL,
                to_address      TEXT    NOT NULL,
                from_address    TEXT    NULL,
                subject         TEXT    NOT NULL,
                preheader       TEXT    NULL,
                html_body       TEXT    NOT NULL,
                text_body       TEXT    NULL,
                outcome_index   INTEGER NOT NULL,
                revision        INTEGER NOT NULL,
                seq             INTEGER NOT NULL,
                status          TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
                attempts        INTEGER NOT NULL,
                next_attempt_at TEXT    NOT NULL,
                claimed_by      TEXT    NULL,
                claimed_at      TEXT    NULL,
                last_error      TEXT    NULL,
                created_at      TEXT    NOT NULL,
                updated_at      TEXT    NOT NULL
            ) STRICT;

            -- Addresses in lower case.
            CREATE TABLE suppressions (
                address     TEXT NOT NULL PRIMARY KEY,
                customer_id TEXT NOT NULL,
                reason      TEXT NOT NULL,
                at          TEXT NOT NULL
            ) STRICT;
            """),
        new(2, "indexes", """
            -- instances(customer_id) is served by the primary key (customer_id, instance_id).
            CREATE INDEX ix_wakeups_due_at ON wakeups (due_at);
            CREATE INDEX ix_sends_status_next_attempt_at ON sends (status, next_attempt_at);
            CREATE INDEX ix_outcomes_journey_id_at ON outcomes (journey_id, at);
            CREATE INDEX ix_outcomes_customer_id ON outcomes (customer_id);
            CREATE UNIQUE INDEX ux_outcomes_send_key_kind ON outcomes (send_key, kind) WHERE send_key IS NOT NULL;
            """),
        new(3, "analysis", """
            -- The event log: every accepted event with its payload, written with its decision, kept for
            -- Orchestrator:Analysis:EventRetention after it was received (replays, traces, guardrails, retention).
            CREATE TABLE events (
                event_id        TEXT NOT NULL PRIMARY KEY,
                customer_id     TEXT NOT NULL,
                event_type      TEXT NOT NULL,
                occurred_at     TEXT NOT NULL,
                received_at     TEXT NOT NULL,
                properties_json TEXT NULL,
                customer_json   TEXT NULL
            ) STRICT;
            CREATE INDEX ix_events_customer_id_occurred_at ON events (customer_id, occurred_at);
            CREATE INDEX ix_events_event_type_occurred_at ON events (event_type, occurred_at);
            CREATE INDEX ix_events_received_at ON events (received_at);

            -- Survey answers (feedback.submitted) with what they were attributed to; kept, unlike the event log.
            CREATE TABLE feedback (
                event_id    TEXT    NOT NULL PRIMARY KEY,
                customer_id TEXT    NOT NULL,
                at          TEXT    NOT NULL,
                metric      TEXT    NOT NULL,
                score       REAL    NOT NULL,
                level       TEXT    NOT NULL,
                attributed  INTEGER NOT NULL,
                journey_id  TEXT    NULL,
                version     TEXT    NULL,
                step_id     TEXT    NULL,
                instance_id TEXT    NULL,
                send_key    TEXT    NULL,
                comment     TEXT    NULL,
                recorded_at TEXT    NOT NULL
            ) STRICT;
            CREATE INDEX ix_feedback_customer_id_at ON feedback (customer_id, at);

            -- A report reads one journey instance by instance, in decision order, without sorting.
            CREATE INDEX ix_outcomes_journey_instance ON outcomes (journey_id, customer_id, instance_id, revision, seq);
            -- Shared conversions read every journey's conversions: a few percent of the rows.
            CREATE INDEX ix_outcomes_converted ON outcomes (journey_id, instance_id) WHERE kind = 'converted';
            CREATE INDEX ix_feedback_journey_id ON feedback (journey_id, level);
            -- Feedback finds the customer's last email.
            CREATE INDEX ix_sends_customer_id_at ON sends (customer_id, at);
            """),
        new(4, "journey versions", """
            -- Every journey version a worker put in force, with the text it was parsed from (JourneySource as JSON):
            -- customers pinned to a version finish on it after a restart, on another worker, or while its file is
            -- broken. last_in_force_at tells which version of a file ran last.
            CREATE TABLE journey_versions (
                journey_id        TEXT NOT NULL,
                version           TEXT NOT NULL,
                file_name         TEXT NOT NULL,
                source_json       TEXT NOT NULL,
                first_in_force_at TEXT NOT NULL,
                last_in_force_at  TEXT NOT NULL,
                PRIMARY KEY (journey_id, version)
            ) STRICT;
            """),
        new(5, "hand-off rules", """
            -- The send window travels with the send, so the mail is held when it is handed to the mail server outside
            -- it (issue 9): the journey's window (window_days: bit n for DayOfWeek n, Sunday = 0; times "HH:mm") and
            -- the customer's zone the decision judged it in. Null on older rows: no window is known, none is checked.
            ALTER TABLE sends ADD COLUMN window_days INTEGER NULL;
            ALTER TABLE sends ADD COLUMN window_from TEXT NULL;
            ALTER TABLE sends ADD COLUMN window_to TEXT NULL;
            ALTER TABLE sends ADD COLUMN time_zone TEXT NULL;
            """),
        new(6, "wakeup claim order", """
            -- The claim walks due wakeups in (due_at, customer_id) order and stops after @max of them, so a backlog of
            -- 100,000 wakeups due at one instant is not grouped whole at every claim; claimed_until is in the index so
            -- that rows another worker holds are skipped without reading the table.
            CREATE INDEX ix_wakeups_due_at_customer_id ON wakeups (due_at, customer_id, claimed_until);
            DROP INDEX ix_wakeups_due_at;
            """),
        new(7, "intake holds", """
            -- A worker's partitions working off a backlog hold timers back (IntakeProgress); the hold is kept here so that
            -- every worker's timers wait for it, not only its own (a standby ran the timers while the active worker was
            -- behind). A row per holding worker, renewed while it holds; a row not renewed is a worker that died.
            CREATE TABLE intake_holds (
                worker_id  TEXT NOT NULL PRIMARY KEY,
                hold_at    TEXT NOT NULL,
                updated_at TEXT NOT NULL
            ) STRICT;
            """),
        new(8, "send claim order", """
            -- The claim walks due sends in (next_attempt_at, send_key) order and stops after @max of them. The sends a batch
            -- queues share their next_attempt_at, and without send_key in the index every claim sorted every due send:
            -- 60% of the outbox's time with 20,000 queued (issue 11). The backlog's aggregates read the same index.
            CREATE INDEX ix_sends_status_next_attempt_at_send_key ON sends (status, next_attempt_at, send_key);
            DROP INDEX ix_sends_status_next_attempt_at;
            """),
    ];
}
