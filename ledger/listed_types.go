package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TypeProgress is what became of the events of one type that a provider
// listed as sent in a reconcile window: processed, still waiting, dead,
// or not in the ledger at all. Judged counts those in the ledger since
// before the processing grace cutoff (they had their time to be
// processed), and JudgedProcessed how many of them were.
type TypeProgress struct {
	Type            string
	Expected        int
	Processed       int
	Waiting         int // pending, processing or failed
	Dead            int
	Missing         int
	Judged          int
	JudgedProcessed int
}

// ensureExpected creates the set's table of expected events, once.
func (s *listedSet) ensureExpected(ctx context.Context) error {
	_, err := s.conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS expected (
		event_id TEXT PRIMARY KEY, type TEXT NOT NULL) WITHOUT ROWID`)
	return translate(err)
}

// Expect notes that the events ids, of the types at the same index in
// types, are expected in the window: the provider sent them and they are
// in scope. An id noted twice keeps its first type.
func (s *listedSet) Expect(ctx context.Context, ids, types []string) error {
	if len(ids) != len(types) {
		return fmt.Errorf("expect: %d ids but %d types", len(ids), len(types))
	}
	if err := s.ensureExpected(ctx); err != nil {
		return fmt.Errorf("expect: %w", err)
	}
	for start := 0; start < len(ids); start += maxLookup / 2 {
		end := min(start+maxLookup/2, len(ids))
		args := make([]any, 0, 2*(end-start))
		for i := start; i < end; i++ {
			args = append(args, ids[i], types[i])
		}
		if _, err := s.conn.ExecContext(ctx, `INSERT INTO temp.expected (event_id, type) VALUES `+
			valueRows(end-start, 2)+` ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("expect: %w", translate(err))
		}
	}
	return nil
}

// ByType returns, per type and sorted by type, what became of the
// expected events; an event counts as judged when it was received before
// judgedBefore. One pass over the expected events, one index lookup each.
func (s *listedSet) ByType(ctx context.Context, judgedBefore time.Time) ([]TypeProgress, error) {
	if err := s.ensureExpected(ctx); err != nil {
		return nil, fmt.Errorf("read by type: %w", err)
	}
	cut := millis(judgedBefore)
	rows, err := s.conn.QueryContext(ctx, `SELECT x.type, count(*),
		count(CASE WHEN e.state = 'processed' THEN 1 END),
		count(CASE WHEN e.state IN ('pending', 'processing', 'failed') THEN 1 END),
		count(CASE WHEN e.state = 'dead' THEN 1 END),
		count(CASE WHEN e.id IS NULL THEN 1 END),
		count(CASE WHEN e.received_at < ? THEN 1 END),
		count(CASE WHEN e.received_at < ? AND e.state = 'processed' THEN 1 END)
		FROM temp.expected x LEFT JOIN main.events e ON e.source = ? AND e.event_id = x.event_id
		GROUP BY x.type ORDER BY x.type`, cut, cut, s.source)
	if err != nil {
		return nil, fmt.Errorf("read by type: %w", translate(err))
	}
	var out []TypeProgress
	err = scanRows(rows, func(rows *sql.Rows) error {
		var p TypeProgress
		err := rows.Scan(&p.Type, &p.Expected, &p.Processed, &p.Waiting, &p.Dead, &p.Missing, &p.Judged, &p.JudgedProcessed)
		out = append(out, p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read by type: %w", err)
	}
	return out, nil
}
