-- Ledgers created by builds before the first release (c00459b) kept the
-- indexes of the 001 and 003 they were created with, which were later
-- edited in place: events_state on (source, state) (e09f29b and before),
-- events_source_created on (source, created_at), events_ready,
-- receipts_received and events_origin_created (3bf995b and before). This
-- brings every such ledger to the released schema; on a ledger created at
-- c00459b or later it rebuilds two indexes to what they already are.
-- From here on migrations are append-only: a change is a new file.
DROP INDEX IF EXISTS events_ready;
DROP INDEX IF EXISTS receipts_received;
DROP INDEX IF EXISTS events_origin_created;
DROP INDEX IF EXISTS events_state;
CREATE INDEX events_state ON events (state, source, received_at);
DROP INDEX IF EXISTS events_source_created;
CREATE INDEX events_source_created ON events (source, created_at, origin, event_id);
