-- Alerts: one row per alerted condition, keyed by a fingerprint such as
-- "stripe:missing". At most one open row per fingerprint; a condition that
-- clears is resolved, and a later recurrence opens a new row.
-- Times are Unix milliseconds, UTC.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    fingerprint TEXT    NOT NULL,
    source      TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
    summary     TEXT    NOT NULL DEFAULT '',
    keys        TEXT    NOT NULL DEFAULT '[]', -- JSON array of ids the alert named
    count       INTEGER NOT NULL DEFAULT 0,
    since       INTEGER NOT NULL DEFAULT 0,    -- start of the window it was seen in, 0 when none
    message_id  INTEGER NOT NULL DEFAULT 0,    -- alert_messages row that announced it
    channel     TEXT    NOT NULL DEFAULT '',   -- where that message went, once sent
    message_ts  TEXT    NOT NULL DEFAULT '',   -- its Slack ts: resolution replies thread under it
    opened_at   INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    resolved_at INTEGER NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE state = 'open';
CREATE INDEX alerts_fingerprint ON alerts (fingerprint, id);

-- Alert messages: the durable outbox. A message is written here in the same
-- transaction as the alert change it announces, then delivered; a failed
-- delivery stays with its error and the time of the next attempt.
CREATE TABLE alert_messages (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL DEFAULT '',
    kind            TEXT    NOT NULL CHECK (kind IN ('alert', 'resolved')),
    text            TEXT    NOT NULL,              -- plain-text fallback
    blocks          TEXT    NOT NULL DEFAULT '',   -- rich layout (Block Kit JSON), '' when none
    parent_id       INTEGER NOT NULL DEFAULT 0,    -- message to reply under, 0 for top level
    channel         TEXT    NOT NULL DEFAULT '',
    ts              TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    sent_at         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

CREATE INDEX alert_messages_due ON alert_messages (next_attempt_at, id) WHERE sent_at = 0;
