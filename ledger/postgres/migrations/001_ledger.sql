-- The PostgreSQL ledger: the schema of the SQLite ledger's migrations
-- 001-011 in one file, in PostgreSQL's types. Times are Unix milliseconds,
-- UTC, as on SQLite (0 = none), so the two backends share every rule that
-- compares times and a ledger copies across without conversion.
-- This series is numbered on its own and is append-only once landed.

-- Events: one row per provider event, unique on (source, event_id).
CREATE TABLE events (
    id                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source            TEXT    NOT NULL,
    event_id          TEXT    NOT NULL,
    type              TEXT    NOT NULL DEFAULT '',
    action            TEXT    NOT NULL DEFAULT '',
    account           TEXT    NOT NULL DEFAULT '',
    content_type      TEXT    NOT NULL DEFAULT 'application/json',
    headers           TEXT    NOT NULL DEFAULT '{}',
    payload           BYTEA   NOT NULL,
    created_at        BIGINT  NOT NULL,
    received_at       BIGINT  NOT NULL,
    origin            TEXT    NOT NULL CHECK (origin IN ('webhook', 'reconcile', 'replay')),
    state             TEXT    NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'processing', 'processed', 'failed', 'dead')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT  NOT NULL DEFAULT 0,
    lease_owner       TEXT    NOT NULL DEFAULT '',
    lease_until       BIGINT  NOT NULL DEFAULT 0,
    last_error        TEXT    NOT NULL DEFAULT '',
    processed_at      BIGINT  NOT NULL DEFAULT 0,
    updated_at        BIGINT  NOT NULL,
    -- the origin the next attempt records ('' = the event's origin)
    attempt_origin    TEXT    NOT NULL DEFAULT '',
    -- attempts already used when the event was last replayed
    replay_base       INTEGER NOT NULL DEFAULT 0,
    -- when the current lease was taken
    claimed_at        BIGINT  NOT NULL DEFAULT 0,
    -- when retention dropped the payload of a processed event, 0 while kept
    payload_pruned_at BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (source, event_id)
);

CREATE INDEX events_source_created ON events (source, created_at, origin, event_id);
CREATE INDEX events_state ON events (state, source, received_at);
-- Lease reaping and renewal look up processing events only.
CREATE INDEX events_leased ON events (lease_until) WHERE state = 'processing';
-- Claims walk ready events in provider-created order.
CREATE INDEX events_claim ON events (created_at, id) WHERE state IN ('pending', 'failed');
CREATE INDEX events_payload_due ON events (received_at)
    WHERE state = 'processed' AND payload_pruned_at = 0;

-- Receipts: one row per HTTP request the receiver answered.
CREATE TABLE receipts (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT    NOT NULL,
    event_id    TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected')),
    reason      TEXT    NOT NULL DEFAULT '',
    status      INTEGER NOT NULL,
    remote_addr TEXT    NOT NULL DEFAULT '',
    body_size   BIGINT  NOT NULL DEFAULT 0,
    duration_us BIGINT  NOT NULL DEFAULT 0,
    received_at BIGINT  NOT NULL
);

CREATE INDEX receipts_event ON receipts (source, event_id);
CREATE INDEX receipts_unaccepted ON receipts (received_at) WHERE outcome <> 'accepted';

-- Attempts: one row per processing attempt, with its outcome and error.
CREATE TABLE attempts (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_row   BIGINT  NOT NULL REFERENCES events (id),
    attempt     INTEGER NOT NULL,
    origin      TEXT    NOT NULL CHECK (origin IN ('webhook', 'reconcile', 'replay')),
    started_at  BIGINT  NOT NULL,
    duration_us BIGINT  NOT NULL DEFAULT 0,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('processed', 'retry', 'dead', 'released')),
    error       TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX attempts_event ON attempts (event_row);

-- Runs: one row per reconcile run of one source, with its JSON report.
CREATE TABLE runs (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT    NOT NULL,
    job         TEXT    NOT NULL,
    since       BIGINT  NOT NULL,
    until       BIGINT  NOT NULL,
    started_at  BIGINT  NOT NULL,
    finished_at BIGINT  NOT NULL DEFAULT 0,
    complete    BOOLEAN NOT NULL DEFAULT false,
    report      TEXT    NOT NULL DEFAULT '{}',
    error       TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX runs_source ON runs (source, complete, id);

-- Jobs: the last run of each scheduled job.
CREATE TABLE jobs (
    name        TEXT    PRIMARY KEY,
    spec        TEXT    NOT NULL DEFAULT '',
    started_at  BIGINT  NOT NULL DEFAULT 0,
    finished_at BIGINT  NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    last_ok_at  BIGINT  NOT NULL DEFAULT 0,
    runs        BIGINT  NOT NULL DEFAULT 0,
    failures    BIGINT  NOT NULL DEFAULT 0
);

-- Alerts: one row per alerted condition; at most one open per fingerprint.
CREATE TABLE alerts (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint TEXT    NOT NULL,
    source      TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
    summary     TEXT    NOT NULL DEFAULT '',
    keys        TEXT    NOT NULL DEFAULT '[]',
    count       BIGINT  NOT NULL DEFAULT 0,
    since       BIGINT  NOT NULL DEFAULT 0,
    message_id  BIGINT  NOT NULL DEFAULT 0,
    channel     TEXT    NOT NULL DEFAULT '',
    message_ts  TEXT    NOT NULL DEFAULT '',
    opened_at   BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    resolved_at BIGINT  NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE state = 'open';
CREATE INDEX alerts_fingerprint ON alerts (fingerprint, id);

-- Alert messages: the durable outbox.
CREATE TABLE alert_messages (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          TEXT    NOT NULL DEFAULT '',
    kind            TEXT    NOT NULL CHECK (kind IN ('alert', 'resolved')),
    text            TEXT    NOT NULL,
    blocks          TEXT    NOT NULL DEFAULT '',
    parent_id       BIGINT  NOT NULL DEFAULT 0,
    channel         TEXT    NOT NULL DEFAULT '',
    ts              TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    sent_at         BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL
);

CREATE INDEX alert_messages_due ON alert_messages (next_attempt_at, id) WHERE sent_at = 0;

-- Rejections: what the receiver refused, aggregated per source, reason
-- and minute.
CREATE TABLE rejections (
    source      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    minute      BIGINT  NOT NULL,
    count       BIGINT  NOT NULL,
    status      INTEGER NOT NULL,
    last_at     BIGINT  NOT NULL,
    remote_addr TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (source, reason, minute)
);

-- Health: a one-row table Health rewrites to prove the ledger can commit
-- (a standby, a full disk or a read-only role fails here).
CREATE TABLE writer_probe (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    at  BIGINT  NOT NULL
);
