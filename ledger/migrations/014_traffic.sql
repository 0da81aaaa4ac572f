-- Traffic: what each source sent live, folded hour by hour from the events
-- table, so that silence can be judged against a source's own rhythm at a
-- cost that does not grow with the ledger. The fold walks events by rowid
-- from traffic_cursor, so each event is counted once, in one pass.
-- Times are Unix milliseconds, UTC; hour is received_at / 3600000.
CREATE TABLE traffic_hours (
    source TEXT    NOT NULL,
    hour   INTEGER NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (source, hour)
) WITHOUT ROWID;

-- One row per source that ever sent a live event: when it first and last did.
CREATE TABLE traffic_sources (
    source   TEXT    PRIMARY KEY,
    first_at INTEGER NOT NULL,
    last_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- The last events row folded into the two tables above.
CREATE TABLE traffic_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_row INTEGER NOT NULL
);
INSERT INTO traffic_cursor (id, last_row) VALUES (1, 0);
