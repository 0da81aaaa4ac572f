-- Settings: properties of the ledger itself, one row per key, shared by
-- every process that opens it. "mode" is "deliver" (events wait as pending
-- for the processor's handler) or "ledger-only" (there is no handler by
-- choice: new events are recorded as processed); no row means the mode was
-- never chosen, which behaves as deliver. Times are Unix milliseconds, UTC.
CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
