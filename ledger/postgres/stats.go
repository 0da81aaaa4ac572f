package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// QueueStats returns the event counts per source and state and, per
// source, the oldest ReceivedAt among waiting events (pending, processing,
// failed).
func (db *DB) QueueStats(ctx context.Context) (*ledger.QueueStats, error) {
	qs := &ledger.QueueStats{Depth: map[string]map[ledger.State]int{}, OldestWaiting: map[string]time.Time{}}
	rows, err := db.pool.Query(ctx, `SELECT source, state, count(*) FROM events GROUP BY source, state`)
	if err != nil {
		return nil, fmt.Errorf("read queue stats: %w", translate(err))
	}
	var source, state string
	var n, at int64
	if _, err := pgx.ForEachRow(rows, []any{&source, &state, &n}, func() error {
		addDepth(qs, source, state, n)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read queue stats: %w", translate(err))
	}
	rows, err = db.pool.Query(ctx, `SELECT source, min(received_at) FROM events
		WHERE state IN ('pending', 'processing', 'failed') GROUP BY source`)
	if err != nil {
		return nil, fmt.Errorf("read queue stats: %w", translate(err))
	}
	if _, err := pgx.ForEachRow(rows, []any{&source, &at}, func() error {
		qs.OldestWaiting[source] = fromMillis(at)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read queue stats: %w", translate(err))
	}
	return qs, nil
}

func addDepth(qs *ledger.QueueStats, source, state string, n int64) {
	if qs.Depth[source] == nil {
		qs.Depth[source] = map[ledger.State]int{}
	}
	qs.Depth[source][ledger.State(state)] = int(n)
}

// QueueDepth returns the counts of unsettled events (pending, processing,
// failed, dead) per source and state, and the oldest waiting one per
// source, from the state index alone.
func (db *DB) QueueDepth(ctx context.Context) (*ledger.QueueStats, error) {
	qs := &ledger.QueueStats{Depth: map[string]map[ledger.State]int{}, OldestWaiting: map[string]time.Time{}}
	rows, err := db.pool.Query(ctx, `SELECT state, source, count(*), min(received_at) FROM events
		WHERE state IN ('pending', 'processing', 'failed', 'dead') GROUP BY state, source`)
	if err != nil {
		return nil, fmt.Errorf("read queue depth: %w", translate(err))
	}
	var state, source string
	var n, oldest int64
	if _, err := pgx.ForEachRow(rows, []any{&state, &source, &n, &oldest}, func() error {
		addDepth(qs, source, state, n)
		if ledger.State(state) == ledger.StateDead {
			return nil
		}
		if t, ok := qs.OldestWaiting[source]; !ok || fromMillis(oldest).Before(t) {
			qs.OldestWaiting[source] = fromMillis(oldest)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read queue depth: %w", translate(err))
	}
	return qs, nil
}

// OutboxStats returns how many alert messages wait in the outbox and when
// the oldest was written (zero when none waits).
func (db *DB) OutboxStats(ctx context.Context) (waiting int, oldest time.Time, err error) {
	var n, at int64
	err = db.pool.QueryRow(ctx, `SELECT count(*), coalesce(min(created_at), 0)
		FROM alert_messages WHERE sent_at = 0`).Scan(&n, &at)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read alert outbox: %w", translate(err))
	}
	return int(n), fromMillis(at), nil
}
