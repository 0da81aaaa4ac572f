-- What the SQLite ledger's migrations 005, 006, 013 and 014 added, in
-- PostgreSQL's types (times in Unix milliseconds, UTC, 0 = none), and the
-- leader lease of scheduled work.

-- Settings: properties of the ledger itself, one row per key. "mode" is
-- "deliver" or "ledger-only"; no row means it was never chosen.
CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);

-- An alert no later observation can clear stays open until someone
-- acknowledges it: who (a name, never a credential) and when.
ALTER TABLE alerts ADD COLUMN acked_by TEXT   NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN acked_at BIGINT NOT NULL DEFAULT 0;

-- What was done from the status page, by whom and when; source and
-- event_id are '' for an action on no one event.
CREATE TABLE admin_actions (
    id       BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       BIGINT  NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    source   TEXT    NOT NULL DEFAULT '',
    event_id TEXT    NOT NULL DEFAULT '',
    detail   TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX admin_actions_event ON admin_actions (source, event_id, id);

-- Traffic: what each source sent live, folded hour by hour. On SQLite the
-- fold walks row ids; here ids are taken at insert, not at commit, so a
-- row below the cursor could still commit. The fold walks received_at
-- instead, and only up to a lag behind the clock that outlasts any intake
-- transaction; traffic_cursor.last_row holds that received_at.
CREATE TABLE traffic_hours (
    source TEXT    NOT NULL,
    hour   BIGINT  NOT NULL,
    count  BIGINT  NOT NULL,
    PRIMARY KEY (source, hour)
);

CREATE TABLE traffic_sources (
    source   TEXT    PRIMARY KEY,
    first_at BIGINT  NOT NULL,
    last_at  BIGINT  NOT NULL
);

CREATE TABLE traffic_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_row BIGINT  NOT NULL
);
INSERT INTO traffic_cursor (id, last_row) VALUES (1, 0);

-- Live events by receipt time: the fold's walk and the tail Traffic adds.
CREATE INDEX events_live_received ON events (received_at) WHERE origin = 'webhook';

-- Leases of scheduled work, as river's river_leader: one row per name,
-- held by one instance until expires_at. Taken and renewed with one
-- statement each.
CREATE TABLE leader (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    elected_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
