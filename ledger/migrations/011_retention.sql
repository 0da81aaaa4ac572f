-- Retention (issue 13): what prune needs to find its work on an index, in
-- bounded batches, without scanning what it keeps.
-- payload_pruned_at: when retention dropped the payload of a processed
--   event (Unix milliseconds), 0 while the payload is there. The row and
--   its receipts and attempts stay until the event retention.
ALTER TABLE events ADD COLUMN payload_pruned_at INTEGER NOT NULL DEFAULT 0;

-- Processed events whose payload is still there, by age: the payload
-- pass walks this and nothing else. An entry is added when an event
-- settles processed and removed when its payload is pruned, so it holds
-- one payload window of events, never the pruned ones.
CREATE INDEX events_payload_due ON events (received_at)
    WHERE state = 'processed' AND payload_pruned_at = 0;

-- Duplicate and rejected receipts, by age: they expire long before the
-- accepted receipts, which leave with their events.
CREATE INDEX receipts_unaccepted ON receipts (received_at) WHERE outcome <> 'accepted';
