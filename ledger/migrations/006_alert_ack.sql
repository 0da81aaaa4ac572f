-- An alert that no later observation can clear (events the provider does
-- not know: a forgery signal) stays open until someone acknowledges it:
-- who (a name, never a credential) and when. Times are Unix milliseconds, UTC.
ALTER TABLE alerts ADD COLUMN acked_by TEXT    NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN acked_at INTEGER NOT NULL DEFAULT 0;
