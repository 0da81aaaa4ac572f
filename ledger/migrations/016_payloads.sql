-- Payloads (issue 13): each event's body in a table of its own, keyed by
-- the event's row id, compressed. A claim or settle rewrites the short
-- events row only, never the payload's pages; pruning a payload is a
-- DELETE here, which frees its pages.
-- encoding: how data holds the body: 'zstd' (one zstd frame of the exact
--   bytes received) or 'identity' (the bytes as they are). Payloads of
--   ledgers older than this migration are copied as 'identity' and stay so
--   until retention prunes them; new ones are 'zstd' unless that would not
--   be smaller.
-- An event with no row here has no payload: pruned (payload_pruned_at),
-- or deleted with its event.
CREATE TABLE payloads (
    event_row INTEGER PRIMARY KEY,
    encoding  TEXT NOT NULL CHECK (encoding IN ('identity', 'zstd')),
    data      BLOB NOT NULL
);

INSERT INTO payloads (event_row, encoding, data)
    SELECT id, 'identity', payload FROM events WHERE payload_pruned_at = 0;

-- Rewrites the events table without the bodies.
ALTER TABLE events DROP COLUMN payload;

-- The receipt of the request that first delivered an event, on the event
-- row instead of a receipts row: the event is that delivery, so one row
-- (and two b-trees) fewer per event. receipt_at is when that request
-- began; 0 when the event came otherwise (reconcile, replay) or was
-- recorded before this migration, whose accepted receipts stay rows of
-- their own. Duplicates and rejections stay in receipts.
ALTER TABLE events ADD COLUMN receipt_at     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN receipt_status INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN receipt_addr   TEXT    NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN receipt_size   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN receipt_us     INTEGER NOT NULL DEFAULT 0;
