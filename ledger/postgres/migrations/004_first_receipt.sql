-- The receipt of the request that first delivered an event, on the event
-- row instead of a receipts row, as on SQLite (its migration 016): the
-- event is that delivery, so intake writes one row (and two index
-- entries) fewer per event. receipt_at is when that request began; 0 when
-- the event came otherwise (reconcile, replay) or was recorded before
-- this migration, whose accepted receipts stay rows of their own (a copy
-- from SQLite made before it wrote them as receipts -ROW). Duplicates and
-- rejections stay in receipts. A constant default: PostgreSQL adds these
-- without rewriting the table.
ALTER TABLE events ADD COLUMN receipt_at     BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN receipt_status INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN receipt_addr   TEXT    NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN receipt_size   BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN receipt_us     BIGINT  NOT NULL DEFAULT 0;
