-- Leases of scheduled work, as river's river_leader: one row per name,
-- held by one process until expires_at, so that reconcile, alert checks
-- and prune run on one process per tick even when several share the
-- ledger, and move to another when the holder dies. Taken and renewed
-- with one statement each. Times are Unix milliseconds, UTC.
CREATE TABLE leader (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    elected_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
