-- Outbox claims: a deliverer claims one message at a time (FOR UPDATE
-- SKIP LOCKED) until claim_until, by the server's clock, so that several
-- instances deliver the outbox and each message is posted once. A claim
-- lapses on its own when its deliverer dies.
ALTER TABLE alert_messages ADD COLUMN claim_until BIGINT NOT NULL DEFAULT 0;
