package ledger

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// QueueStats is a snapshot of the processing queue.
type QueueStats struct {
	// Depth counts events per source and state; states with no events are
	// absent.
	Depth map[string]map[State]int
	// OldestWaiting is, per source, when the oldest event not yet settled
	// (pending, processing or failed) was received; sources with none are
	// absent.
	OldestWaiting map[string]time.Time
}

// QueueStats returns counts per source and state and the oldest waiting
// event per source, read from the read pool. Both maps are empty, not nil,
// for an empty ledger.
func (db *DB) QueueStats(ctx context.Context) (*QueueStats, error) {
	qs := &QueueStats{Depth: map[string]map[State]int{}, OldestWaiting: map[string]time.Time{}}
	// event_counts is kept exact by triggers (migration 013): a few rows to
	// read however large the ledger is.
	rows, err := db.r.QueryContext(ctx, `SELECT source, state, n FROM event_counts WHERE n > 0`)
	if err != nil {
		return nil, fmt.Errorf("read queue stats: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var source, state string
		var n int
		if err := rows.Scan(&source, &state, &n); err != nil {
			return nil, fmt.Errorf("read queue stats: %w", translate(err))
		}
		if qs.Depth[source] == nil {
			qs.Depth[source] = map[State]int{}
		}
		qs.Depth[source][State(state)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read queue stats: %w", translate(err))
	}
	rows, err = db.r.QueryContext(ctx, `SELECT source, min(received_at) FROM events
		WHERE state IN ('pending', 'processing', 'failed') GROUP BY source`)
	if err != nil {
		return nil, fmt.Errorf("read queue stats: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var source string
		var at int64
		if err := rows.Scan(&source, &at); err != nil {
			return nil, fmt.Errorf("read queue stats: %w", translate(err))
		}
		qs.OldestWaiting[source] = fromMillis(at)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read queue stats: %w", translate(err))
	}
	return qs, nil
}

// unsettledStates are the states QueueDepth counts: every state but
// processed, which only grows and is counted by the processor's counter.
var unsettledStates = []State{StatePending, StateProcessing, StateFailed, StateDead}

// QueueDepth is QueueStats without the processed state: counts per source
// of the events pending, processing, failed or dead, and the oldest waiting
// per source. It searches the state index, so its cost follows the events
// not yet processed, not the size of the ledger.
func (db *DB) QueueDepth(ctx context.Context) (*QueueStats, error) {
	qs := &QueueStats{Depth: map[string]map[State]int{}, OldestWaiting: map[string]time.Time{}}
	rows, err := db.r.QueryContext(ctx, `SELECT state, source, count(*), min(received_at) FROM events
		WHERE state IN ('pending', 'processing', 'failed', 'dead') GROUP BY state, source`)
	if err != nil {
		return nil, fmt.Errorf("read queue depth: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var state, source string
		var n int
		var oldest int64
		if err := rows.Scan(&state, &source, &n, &oldest); err != nil {
			return nil, fmt.Errorf("read queue depth: %w", translate(err))
		}
		if qs.Depth[source] == nil {
			qs.Depth[source] = map[State]int{}
		}
		qs.Depth[source][State(state)] = n
		if State(state) == StateDead {
			continue
		}
		if t, ok := qs.OldestWaiting[source]; !ok || fromMillis(oldest).Before(t) {
			qs.OldestWaiting[source] = fromMillis(oldest)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read queue depth: %w", translate(err))
	}
	return qs, nil
}

// UnsettledStates returns the states QueueDepth counts.
func UnsettledStates() []State { return slices.Clone(unsettledStates) }

// OutboxStats returns how many alert messages wait to be delivered and
// when the oldest of them was written (zero when none).
func (db *DB) OutboxStats(ctx context.Context) (waiting int, oldest time.Time, err error) {
	var at int64
	err = db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(min(created_at), 0)
		FROM alert_messages WHERE sent_at = 0`).Scan(&waiting, &at)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read alert outbox: %w", translate(err))
	}
	return waiting, fromMillis(at), nil
}
