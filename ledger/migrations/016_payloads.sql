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
