-- Work shared by several processes on one ledger (issue 14).
--
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

-- Outbox claims: a deliverer claims one message at a time until
-- claim_until, so that two processes sharing the ledger never post the
-- same message both. A claim lapses on its own when its deliverer dies.
ALTER TABLE alert_messages ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;
