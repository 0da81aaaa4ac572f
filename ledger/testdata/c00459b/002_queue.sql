-- Queue bookkeeping for the processor.
-- attempt_origin: the origin the next attempt records ('' = the event's
--   origin; 'replay' after a replay, cleared when the event settles).
-- replay_base: attempts already used when the event was last replayed, so a
--   replay gets a fresh attempt budget while attempt numbers keep counting.
-- claimed_at: when the current lease was taken (for the row of a lost lease).
ALTER TABLE events ADD COLUMN attempt_origin TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN replay_base INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN claimed_at INTEGER NOT NULL DEFAULT 0;

-- Claims walk ready events in provider-created order.
CREATE INDEX events_claim ON events (created_at, id) WHERE state IN ('pending', 'failed');
