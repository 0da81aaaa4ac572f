-- The status page reads the ledger on every view, so nothing it shows may
-- count every row.
--
-- event_counts: how many events each source has in each state, kept exact
-- by triggers in the transaction that changes an event, so status and the
-- page read a few rows instead of counting a million.
CREATE TABLE event_counts (
    source TEXT    NOT NULL,
    state  TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (source, state)
) WITHOUT ROWID;

INSERT INTO event_counts (source, state, n)
SELECT source, state, count(*) FROM events GROUP BY source, state;

CREATE TRIGGER event_counts_insert AFTER INSERT ON events BEGIN
    INSERT INTO event_counts (source, state, n) VALUES (NEW.source, NEW.state, 1)
    ON CONFLICT (source, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER event_counts_update AFTER UPDATE OF state, source ON events
WHEN OLD.state IS NOT NEW.state OR OLD.source IS NOT NEW.source BEGIN
    UPDATE event_counts SET n = n - 1 WHERE source = OLD.source AND state = OLD.state;
    INSERT INTO event_counts (source, state, n) VALUES (NEW.source, NEW.state, 1)
    ON CONFLICT (source, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER event_counts_delete AFTER DELETE ON events BEGIN
    UPDATE event_counts SET n = n - 1 WHERE source = OLD.source AND state = OLD.state;
END;

-- admin_actions: what was done from the status page, by whom and when
-- (replays, acknowledgements). source and event_id are '' for an action
-- on no one event. Times are Unix milliseconds, UTC.
CREATE TABLE admin_actions (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    source   TEXT    NOT NULL DEFAULT '',
    event_id TEXT    NOT NULL DEFAULT '',
    detail   TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX admin_actions_event ON admin_actions (source, event_id, id);
