package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// maxLookup bounds the ids one lookup query carries (SQLite's variable
// limit is far higher; this keeps each statement small).
const maxLookup = 500

// Known returns the subset of ids that are in the ledger for source, as a
// set. It reads through the read pool, one query per 500 ids; an empty ids
// gives an empty set.
func (db *DB) Known(ctx context.Context, source string, ids []string) (map[string]bool, error) {
	known := make(map[string]bool, len(ids))
	for start := 0; start < len(ids); start += maxLookup {
		chunk := ids[start:min(start+maxLookup, len(ids))]
		if err := db.known(ctx, source, chunk, known); err != nil {
			return nil, fmt.Errorf("look up events: %w", err)
		}
	}
	return known, nil
}

func (db *DB) known(ctx context.Context, source string, ids []string, into map[string]bool) error {
	args := make([]any, 0, len(ids)+1)
	args = append(args, source)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT event_id FROM events
		WHERE source = ? AND event_id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return translate(err)
		}
		into[id] = true
	}
	return translate(rows.Err())
}

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// WindowStats counts one source's events created in a window by where they
// are in processing.
type WindowStats struct {
	Pending   int      // pending, processing or failed
	Stuck     int      // pending or failed and received before the stuck cutoff
	Dead      int      // dead
	Processed int      // processed
	StuckIDs  []string // up to the limit, oldest first
	DeadIDs   []string // up to the limit, oldest first
}

// WindowStats returns the processing counts of source's events created in
// [since, until). An event is stuck when it is pending or failed and was
// received before stuckBefore. The id lists hold at most limit ids each;
// the counts are exact.
func (db *DB) WindowStats(ctx context.Context, source string, since, until, stuckBefore time.Time, limit int) (WindowStats, error) {
	var s WindowStats
	err := db.r.QueryRowContext(ctx, `SELECT
		count(CASE WHEN state IN ('pending', 'processing', 'failed') THEN 1 END),
		count(CASE WHEN state IN ('pending', 'failed') AND received_at < ? THEN 1 END),
		count(CASE WHEN state = 'dead' THEN 1 END),
		count(CASE WHEN state = 'processed' THEN 1 END)
		FROM events WHERE source = ? AND created_at >= ? AND created_at < ?`,
		millis(stuckBefore), source, millis(since), millis(until),
	).Scan(&s.Pending, &s.Stuck, &s.Dead, &s.Processed)
	if err != nil {
		return s, fmt.Errorf("window stats: %w", translate(err))
	}
	if s.Stuck > 0 {
		s.StuckIDs, err = db.windowIDs(ctx, `state IN ('pending', 'failed') AND received_at < ?`,
			source, since, until, limit, millis(stuckBefore))
		if err != nil {
			return s, fmt.Errorf("window stats: %w", err)
		}
	}
	if s.Dead > 0 {
		if s.DeadIDs, err = db.windowIDs(ctx, `state = 'dead'`, source, since, until, limit); err != nil {
			return s, fmt.Errorf("window stats: %w", err)
		}
	}
	return s, nil
}

func (db *DB) windowIDs(ctx context.Context, cond, source string, since, until time.Time, limit int, extra ...any) ([]string, error) {
	args := append([]any{source, millis(since), millis(until)}, extra...)
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, `SELECT event_id FROM events
		WHERE source = ? AND created_at >= ? AND created_at < ? AND `+cond+`
		ORDER BY created_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, translate(err)
	}
	return scanIDs(rows)
}

// scanner is the part of *sql.Rows scanIDs needs.
type scanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

func scanIDs(rows scanner) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err)
		}
		ids = append(ids, id)
	}
	return ids, translate(rows.Err())
}

// ListedSet remembers, in constant memory, which event ids a provider
// listed during one reconcile run, and which of them were missing: the ids
// live in a TEMP table (on disk, in SQLite's temp store) of a dedicated
// read-only connection to the ledger file. Nothing in the ledger itself
// changes, so a dry run can use it too. It is not safe for concurrent use.
type ListedSet struct {
	pool   *sql.DB
	conn   *sql.Conn
	source string
}

// OpenListedSet opens an empty ListedSet for source. Close it when done.
func (db *DB) OpenListedSet(ctx context.Context, source string) (*ListedSet, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "temp_store(FILE)")
	pool, err := sql.Open("sqlite", "file:"+db.path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open listed set: %w", err)
	}
	pool.SetMaxOpenConns(1)
	conn, err := pool.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, `CREATE TEMP TABLE listed (
			event_id TEXT PRIMARY KEY, missing INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`)
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		pool.Close()
		return nil, fmt.Errorf("open listed set: %w", translate(err))
	}
	return &ListedSet{pool: pool, conn: conn, source: source}, nil
}

// Close drops the set.
func (s *ListedSet) Close() error {
	return errors.Join(s.conn.Close(), s.pool.Close())
}

// Add adds ids to the set and returns those that were not in it yet, in
// their order in ids (repeats within ids count once).
func (s *ListedSet) Add(ctx context.Context, ids []string) ([]string, error) {
	var fresh []string
	for start := 0; start < len(ids); start += maxLookup {
		chunk := ids[start:min(start+maxLookup, len(ids))]
		rows, err := s.conn.QueryContext(ctx, `INSERT INTO temp.listed (event_id) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?), ", len(chunk)), ", ")+
			` ON CONFLICT DO NOTHING RETURNING event_id`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("add listed ids: %w", translate(err))
		}
		got, err := scanIDs(rows)
		if err != nil {
			return nil, fmt.Errorf("add listed ids: %w", err)
		}
		fresh = append(fresh, got...)
	}
	// RETURNING gives no order guarantee: restore the caller's.
	isFresh := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		isFresh[id] = true
	}
	ordered := fresh[:0]
	for _, id := range ids {
		if isFresh[id] {
			ordered = append(ordered, id)
			delete(isFresh, id)
		}
	}
	return ordered, nil
}

// MarkMissing notes that ids (already added) were not in the ledger.
func (s *ListedSet) MarkMissing(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += maxLookup {
		chunk := ids[start:min(start+maxLookup, len(ids))]
		_, err := s.conn.ExecContext(ctx, `UPDATE temp.listed SET missing = 1
			WHERE event_id IN (`+placeholders(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return fmt.Errorf("mark missing: %w", translate(err))
		}
	}
	return nil
}

// StillMissing counts the ids marked missing that are still not in the
// ledger, and returns up to limit of them.
func (s *ListedSet) StillMissing(ctx context.Context, limit int) (int, []string, error) {
	const from = ` FROM temp.listed l WHERE l.missing = 1 AND NOT EXISTS
		(SELECT 1 FROM main.events e WHERE e.source = ? AND e.event_id = l.event_id)`
	n, ids, err := s.countAndIDs(ctx, `SELECT count(*)`+from, `SELECT l.event_id`+from+
		` ORDER BY l.event_id LIMIT ?`, limit, s.source)
	if err != nil {
		return 0, nil, fmt.Errorf("still missing: %w", err)
	}
	return n, ids, nil
}

// Unlisted counts the ledger's events of the set's source with the given
// origin, created in [since, until), that are not in the set: events the
// provider never listed. It returns up to limit of their ids, oldest first.
func (s *ListedSet) Unlisted(ctx context.Context, origin Origin, since, until time.Time, limit int) (int, []string, error) {
	const from = ` FROM main.events e WHERE e.source = ? AND e.origin = ?
		AND e.created_at >= ? AND e.created_at < ?
		AND NOT EXISTS (SELECT 1 FROM temp.listed l WHERE l.event_id = e.event_id)`
	n, ids, err := s.countAndIDs(ctx, `SELECT count(*)`+from, `SELECT e.event_id`+from+
		` ORDER BY e.created_at, e.id LIMIT ?`, limit, s.source, string(origin), millis(since), millis(until))
	if err != nil {
		return 0, nil, fmt.Errorf("unlisted events: %w", err)
	}
	return n, ids, nil
}

func (s *ListedSet) countAndIDs(ctx context.Context, countQ, idsQ string, limit int, args ...any) (int, []string, error) {
	var n int
	if err := s.conn.QueryRowContext(ctx, countQ, args...).Scan(&n); err != nil {
		return 0, nil, translate(err)
	}
	if n == 0 || limit <= 0 {
		return n, nil, nil
	}
	rows, err := s.conn.QueryContext(ctx, idsQ, append(args, limit)...)
	if err != nil {
		return 0, nil, translate(err)
	}
	ids, err := scanIDs(rows)
	return n, ids, err
}

func anys(ids []string) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}
