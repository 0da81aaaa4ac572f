package ledger

import (
	"context"
	"fmt"
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
	rows, err := db.r.QueryContext(ctx, `SELECT source, state, count(*) FROM events GROUP BY source, state`)
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
