package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrLeased is returned by Requeue for an event a worker is processing
// under a live lease: replaying it now could run it twice at once.
var ErrLeased = errors.New("event is being processed")

// ErrPayloadPruned is returned by Requeue for an event whose payload
// retention dropped: there is nothing left to feed the handler.
var ErrPayloadPruned = errors.New("payload was pruned by retention")

// Requeued describes one event a replay put back in the queue.
type Requeued struct {
	ID        int64 // ledger row id
	Source    string
	EventID   string
	Type      string
	PrevState State // the state before the replay
	Attempts  int   // attempts so far; they stay in the history
	CreatedAt time.Time
}

// DeadFilter selects dead events for RequeueDead.
type DeadFilter struct {
	Source string    // "" for every source
	Since  time.Time // zero for no bound; else provider created_at ≥ Since
	DryRun bool      // list the matches without changing anything
}

// Requeue makes the event (source, eventID) pending and due now, whatever
// its state, so the processor runs it again: its next attempt records
// origin replay, its attempt history stays, and it gets a fresh budget of
// attempts. It returns ErrNotFound for an unknown event and ErrLeased for
// one under a live lease, ErrPayloadPruned for one whose payload is gone.
func (db *DB) Requeue(ctx context.Context, source, eventID string) (*Requeued, error) {
	now := millis(db.now())
	rq := &Requeued{Source: source, EventID: eventID}
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var state string
		var leaseUntil, created, pruned int64
		err := tx.QueryRowContext(ctx, `SELECT id, type, state, attempts, lease_until, created_at, payload_pruned_at
			FROM events WHERE source = ? AND event_id = ?`, source, eventID).
			Scan(&rq.ID, &rq.Type, &state, &rq.Attempts, &leaseUntil, &created, &pruned)
		if err != nil {
			return translate(err)
		}
		if pruned != 0 {
			return ErrPayloadPruned
		}
		rq.PrevState, rq.CreatedAt = State(state), fromMillis(created)
		if rq.PrevState == StateProcessing && leaseUntil > now {
			return ErrLeased
		}
		return requeueRow(ctx, tx, rq.ID, now)
	})
	if err != nil {
		return nil, fmt.Errorf("requeue %s %s: %w", source, eventID, err)
	}
	db.notifyRecorded()
	return rq, nil
}

func requeueRow(ctx context.Context, tx *sql.Tx, id, now int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE events SET state = 'pending', next_attempt_at = 0,
		attempt_origin = 'replay', replay_base = attempts, lease_owner = '', lease_until = 0,
		processed_at = 0, updated_at = ? WHERE id = ?`, now, id)
	return translate(err)
}

// RequeueDead requeues, like Requeue, every dead event that f matches, in
// provider-created order, and returns them. With f.DryRun it only returns
// them. It returns an empty slice when nothing matches.
func (db *DB) RequeueDead(ctx context.Context, f DeadFilter) ([]Requeued, error) {
	out := []Requeued{}
	err := db.RequeueMatching(ctx, ReplayFilter{Source: f.Source, State: StateDead, Since: f.Since, DryRun: f.DryRun},
		func(batch []Requeued) error {
			out = append(out, batch...)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("requeue dead events: %w", err)
	}
	return out, nil
}

// replayReadTx runs fn in a read-only transaction on the read pool.
func (db *DB) replayReadTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	return fn(ctx, tx)
}
