-- Events: one row per provider event, unique on (source, event_id).
-- Times are Unix milliseconds, UTC.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    type            TEXT    NOT NULL DEFAULT '',
    action          TEXT    NOT NULL DEFAULT '',
    account         TEXT    NOT NULL DEFAULT '',
    content_type    TEXT    NOT NULL DEFAULT 'application/json',
    headers         TEXT    NOT NULL DEFAULT '{}',
    payload         BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    origin          TEXT    NOT NULL CHECK (origin IN ('webhook', 'reconcile', 'replay')),
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'processing', 'processed', 'failed', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    processed_at    INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    UNIQUE (source, event_id)
);

-- Every index here is paid on each insert and state change by the single
-- writer: keep to the ones a query needs.
-- Reconcile's window queries (counts, unknown events) walk one source's
-- events by creation time; covering origin and event_id keeps the unknown
-- check off the payload-heavy rows. None of these columns ever changes.
CREATE INDEX events_source_created ON events (source, created_at, origin, event_id);
-- Status and metrics count events per source and state; the alert check
-- and the oldest-pending gauge look up the few events in a given state (dead,
-- pending, failed) by state first, so they search rather than scan.
CREATE INDEX events_state ON events (state, source, received_at);
-- The processor finds expired leases.
CREATE INDEX events_leased ON events (lease_until) WHERE state = 'processing';

-- Receipts: one row per HTTP request the receiver answered, accepted,
-- duplicate or rejected. Never a secret, never a signature value.
CREATE TABLE receipts (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    event_id    TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected')),
    reason      TEXT    NOT NULL DEFAULT '',
    status      INTEGER NOT NULL,
    remote_addr TEXT    NOT NULL DEFAULT '',
    body_size   INTEGER NOT NULL DEFAULT 0,
    duration_us INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL
);

CREATE INDEX receipts_event ON receipts (source, event_id);

-- Attempts: one row per processing attempt, with its outcome and error.
CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    event_row   INTEGER NOT NULL REFERENCES events (id),
    attempt     INTEGER NOT NULL,
    origin      TEXT    NOT NULL CHECK (origin IN ('webhook', 'reconcile', 'replay')),
    started_at  INTEGER NOT NULL,
    duration_us INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('processed', 'retry', 'dead', 'released')),
    error       TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX attempts_event ON attempts (event_row);
