package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// notifyChannel is the LISTEN/NOTIFY channel intake and replays signal
// on. The payload is the ledger's schema, a space and the sending DB's
// token (see DB.announcement), so ledgers sharing a database wake only
// their own processors and a DB skips its own notifications; a payload
// of the schema alone (from builds before the token) wakes every DB of
// that schema.
const notifyChannel = "hookledger_recorded"

// notifyTimeout bounds one notification.
const notifyTimeout = 5 * time.Second

// notifySQL sends one notification in a transaction of its own. A
// transaction that ran NOTIFY takes a database-wide lock at commit and
// holds it until its commit record is flushed, so NOTIFY inside intake's
// statement made every intake commit wait for the previous one's fsync:
// commits could not share a WAL flush. This transaction writes nothing
// but its commit record, and commits without waiting for the flush
// (synchronous_commit off, this transaction only): what it announces was
// durably committed before it began, and a notification lost in a crash
// costs only a wake-up (see notifyLoop).
const notifySQL = `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`

// newToken returns a random token naming one DB in its notifications.
func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// announcement is the payload of db's notifications.
func (db *DB) announcement() string { return db.schema + " " + db.token }

// fromElsewhere reports whether a notification with payload announces
// events of db's ledger committed by some other DB (another process, or
// another Open in this one): db's own were signalled locally already.
func (db *DB) fromElsewhere(payload string) bool {
	if payload == db.schema {
		return true
	}
	tok, ok := strings.CutPrefix(payload, db.schema+" ")
	return ok && tok != db.token
}

// announce asks the notifier to tell the other instances that events
// were committed. Calls coalesce: one notification covers every commit
// before it began.
func (db *DB) announce() {
	select {
	case db.pending <- struct{}{}:
	default:
	}
}

// notifyLoop sends, one at a time, a notification for the commits
// announced since the last one began, until quit is closed; then once
// more if one is pending.
//
// A notification is only a wake-up. One that is never sent (this
// process died between the commit and it, or the server refused it) or
// never received (a listener was reconnecting) delays other instances'
// processors by at most their Poll (ledger.ProcessorConfig, 1 s by
// default): an idle processor claims on every Poll whether woken or not,
// and every event it wakes for is committed already. Nothing in the
// ledger depends on a notification arriving.
func (db *DB) notifyLoop(quit <-chan struct{}) {
	defer close(db.notified)
	for {
		select {
		case <-db.pending:
			db.sendNotify()
		case <-quit:
			select {
			case <-db.pending:
				db.sendNotify()
			default:
			}
			return
		}
	}
}

func (db *DB) sendNotify() {
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	// Errors are not retried: see notifyLoop.
	_, _ = db.pool.Exec(ctx, notifySQL, notifyChannel, db.announcement())
}
