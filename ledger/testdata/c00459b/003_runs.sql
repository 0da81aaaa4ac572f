-- Runs: one row per reconcile run of one source, with its JSON report.
-- A source's watermark is the latest until among its complete runs.
-- Times are Unix milliseconds, UTC.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    job         TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL DEFAULT 0,
    complete    INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    report      TEXT    NOT NULL DEFAULT '{}',
    error       TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX runs_source ON runs (source, complete, id);

-- Jobs: the last run of each scheduled job (one row per job name).
CREATE TABLE jobs (
    name        TEXT    PRIMARY KEY,
    spec        TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    last_ok_at  INTEGER NOT NULL DEFAULT 0,
    runs        INTEGER NOT NULL DEFAULT 0,
    failures    INTEGER NOT NULL DEFAULT 0
);
