package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReplayFilter selects events for RequeueMatching. Zero fields match
// everything.
type ReplayFilter struct {
	Source string
	Type   string
	State  State     // "" for any state
	Since  time.Time // provider created_at ≥ Since; zero for no bound
	Until  time.Time // provider created_at < Until; zero for no bound
	DryRun bool      // only list the matches
	// Batch is how many events one transaction requeues; default 500.
	Batch int
	// Pace is the pause between two batches, so that a large replay leaves
	// room to the receiver and the processor; zero for none.
	Pace time.Duration
}

// RequeueMatching requeues, like Requeue, every event f matches, in
// provider-created order, one bounded batch per transaction (keyset
// pagination on created_at, id), and calls fn with each batch after it
// committed (with f.DryRun, after reading it; nothing changes). Memory
// stays flat however many events match. An event under a live lease is
// skipped: its worker is running it now. It stops at the first error,
// from the ledger, from fn or from ctx; batches before it stay requeued.
func (db *DB) RequeueMatching(ctx context.Context, f ReplayFilter, fn func([]Requeued) error) error {
	if f.Batch <= 0 {
		f.Batch = 500
	}
	var after struct{ created, id int64 }
	for first := true; ; first = false {
		if !first && f.Pace > 0 {
			select {
			case <-time.After(f.Pace):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var batch []Requeued
		step := func(ctx context.Context, tx *sql.Tx) error {
			var err error
			now := millis(db.Now())
			if batch, err = matchingPage(ctx, tx, f, after.created, after.id, now); err != nil || f.DryRun {
				return err
			}
			for _, rq := range batch {
				if err := requeueRow(ctx, tx, rq.ID, now); err != nil {
					return err
				}
			}
			return nil
		}
		var err error
		if f.DryRun {
			err = db.replayReadTx(ctx, step)
		} else {
			err = db.write(ctx, step)
		}
		if err != nil {
			return fmt.Errorf("requeue events: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		if !f.DryRun {
			db.notifyRecorded()
		}
		last := batch[len(batch)-1]
		after.created, after.id = millis(last.CreatedAt), last.ID
		if err := fn(batch); err != nil {
			return err
		}
		if len(batch) < f.Batch {
			return nil
		}
	}
}

// matchingPage reads the next f.Batch events f matches after the cursor
// (created, id), skipping events under a live lease.
func matchingPage(ctx context.Context, tx *sql.Tx, f ReplayFilter, created, id, now int64) ([]Requeued, error) {
	sel := Selection{Source: f.Source, Type: f.Type, State: f.State, Since: f.Since, Until: f.Until, ByCreated: true}
	conds, selArgs := sel.where("")
	where := append([]string{"(created_at, id) > (?, ?)", "NOT (state = 'processing' AND lease_until > ?)"}, conds...)
	args := append([]any{created, id, now}, selArgs...)
	args = append(args, f.Batch)
	rows, err := tx.QueryContext(ctx, `SELECT id, source, event_id, type, state, attempts, created_at
		FROM events WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []Requeued
	for rows.Next() {
		var rq Requeued
		var state string
		var createdAt int64
		if err := rows.Scan(&rq.ID, &rq.Source, &rq.EventID, &rq.Type, &state, &rq.Attempts, &createdAt); err != nil {
			return nil, translate(err)
		}
		rq.PrevState, rq.CreatedAt = State(state), fromMillis(createdAt)
		out = append(out, rq)
	}
	return out, translate(rows.Err())
}

// ErrPrefixTooBroad is returned by RequeueLog for an id prefix that
// matches more events than the log's page shows: it would replay events
// nobody saw.
var ErrPrefixTooBroad = errors.New("the id prefix matches more events than the log shows")

// LogReplay says how RequeueLog requeues: in batches of Batch events
// (default 500), Pace apart, each requeued event getting an admin action
// row like Action (its Source and EventID filled in), written in the same
// transaction as the requeue.
type LogReplay struct {
	Batch  int
	Pace   time.Duration
	Action Action
}

// RequeueLog requeues, like Requeue, every event the event log shows for
// f: the events of every page EventLog gives walking down from f.Before
// (or from the newest event), which it reads a page at a time and requeues
// in one transaction per page, so that memory stays flat and the replayed
// set is the shown one by construction. Each event is checked again in
// that transaction: one that no longer matches f (its state changed) is
// left alone, one under a live lease is skipped and counted in leased.
// With an IDPrefix, f.Limit is the page the log shows (default 50) and a
// prefix matching more than it returns ErrPrefixTooBroad, requeueing
// nothing. fn is called with each batch after it committed; it stops at
// the first error, from the ledger, from fn or from ctx.
func (db *DB) RequeueLog(ctx context.Context, f LogFilter, r LogReplay, fn func([]Requeued) error) (leased int, err error) {
	return WalkLogReplay(ctx, f, r, db.EventLog, func(ctx context.Context, sel Selection, evs []*Event, act Action) ([]Requeued, int, error) {
		out, held, err := db.requeueShown(ctx, sel, evs, act)
		if len(out) > 0 {
			db.notifyRecorded()
		}
		return out, held, err
	}, fn)
}

// WalkLogReplay is RequeueLog's walk for any backend: it reads the event
// log's pages for f with page and hands each page's events to requeue,
// which requeues, in one transaction, those sel still picks and no worker
// holds, and returns them with how many it skipped as held. It paces the
// batches r.Pace apart, skips stretches of rows with no match, refuses a
// truncated prefix page (ErrPrefixTooBroad) and calls fn with each
// non-empty batch.
func WalkLogReplay(ctx context.Context, f LogFilter, r LogReplay,
	page func(context.Context, LogFilter) (LogPage, error),
	requeue func(context.Context, Selection, []*Event, Action) ([]Requeued, int, error),
	fn func([]Requeued) error) (leased int, err error) {
	if f.IDPrefix == "" {
		f.Limit = r.Batch
		if f.Limit <= 0 {
			f.Limit = 500
		}
	}
	for first := true; ; first = false {
		pg, err := page(ctx, f)
		if err != nil {
			return leased, fmt.Errorf("requeue events: %w", err)
		}
		if pg.Truncated {
			return leased, fmt.Errorf("requeue events: %w", ErrPrefixTooBroad)
		}
		f.Before = pg.Next
		if len(pg.Events) == 0 && pg.Next > 0 {
			continue // a stretch of rows with no match: nothing to requeue or pace
		}
		if !first && r.Pace > 0 {
			select {
			case <-time.After(r.Pace):
			case <-ctx.Done():
				return leased, ctx.Err()
			}
		}
		batch, skipped, err := requeue(ctx, f.Selection(), pg.Events, r.Action)
		leased += skipped
		if err != nil {
			return leased, fmt.Errorf("requeue events: %w", err)
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return leased, err
			}
		}
		if pg.Next == 0 {
			return leased, nil
		}
	}
}

// requeueShown requeues, in one transaction, each of evs that sel still
// picks and no worker holds, with its action row; it returns those it
// requeued and how many it skipped under a lease.
func (db *DB) requeueShown(ctx context.Context, sel Selection, evs []*Event, act Action) (out []Requeued, leased int, err error) {
	where, selArgs := sel.where("")
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out, leased = out[:0], 0
		now := db.Now()
		for _, ev := range evs {
			var rq Requeued
			var state string
			var leaseUntil, created int64
			err := tx.QueryRowContext(ctx, `SELECT id, source, event_id, type, state, attempts, lease_until, created_at
				FROM events WHERE `+strings.Join(append([]string{"id = ?"}, where...), " AND "),
				append([]any{ev.ID}, selArgs...)...).
				Scan(&rq.ID, &rq.Source, &rq.EventID, &rq.Type, &state, &rq.Attempts, &leaseUntil, &created)
			if errors.Is(err, sql.ErrNoRows) {
				continue // changed since the log read it: no longer shown
			} else if err != nil {
				return translate(err)
			}
			rq.PrevState, rq.CreatedAt = State(state), fromMillis(created)
			if rq.PrevState == StateProcessing && leaseUntil > millis(now) {
				leased++
				continue
			}
			if err := requeueRow(ctx, tx, rq.ID, millis(now)); err != nil {
				return err
			}
			a := act
			a.Source, a.EventID = rq.Source, rq.EventID
			if err := insertAction(ctx, tx, &a, now); err != nil {
				return err
			}
			out = append(out, rq)
		}
		return nil
	})
	return out, leased, err
}
