-- Rejections: what the receiver refused, aggregated per source, reason and
-- minute, so a flood of bad requests costs a few rows, not one per request.
-- Each row keeps the count and the last sample (time, client address,
-- error text, status). Requests for unknown sources leave no row at all.
-- The writer upserts these rows and deletes those older than a week, so
-- the table bounds itself. Times are Unix milliseconds, UTC.
CREATE TABLE rejections (
    source      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    minute      INTEGER NOT NULL,             -- start of the minute
    count       INTEGER NOT NULL,
    status      INTEGER NOT NULL,             -- of the last sample
    last_at     INTEGER NOT NULL,
    remote_addr TEXT    NOT NULL DEFAULT '',  -- of the last sample
    error       TEXT    NOT NULL DEFAULT '',  -- of the last sample; never a secret
    PRIMARY KEY (source, reason, minute)
) WITHOUT ROWID;

-- Health: a one-row table the writer rewrites to prove it can commit when
-- nothing else has been written lately. pad makes each probe write as much
-- as a typical webhook does (a probe of one small row can succeed in the
-- slack of a write-ahead log on a full disk).
CREATE TABLE writer_probe (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    at  INTEGER NOT NULL,
    pad BLOB    NOT NULL DEFAULT x''
);
