package postgres

import (
	"context"
	"time"
)

// listenRetry is how long the listener waits before reconnecting after it
// lost its connection.
const listenRetry = time.Second

// listen holds one connection that LISTENs on notifyChannel and signals
// Recorded for every notification of this ledger's schema sent by
// another DB, until ctx ends (this DB's own commits signalled Recorded
// when they committed). A lost connection is reopened after listenRetry; meanwhile the
// processor's poll still finds new events.
func (db *DB) listen(ctx context.Context) {
	defer db.wg.Done()
	for ctx.Err() == nil {
		if err := db.listenOnce(ctx); err != nil && ctx.Err() == nil {
			select {
			case <-time.After(listenRetry):
			case <-ctx.Done():
			}
		}
	}
}

func (db *DB) listenOnce(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection leaves the pool: after LISTEN it is no longer a
	// plain connection to hand out.
	pc := conn.Hijack()
	defer pc.Close(context.Background())
	if _, err := pc.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	// Events recorded while the listener was away are not notified again.
	db.notifyRecorded()
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if db.fromElsewhere(n.Payload) {
			db.notifyRecorded()
		}
	}
}
