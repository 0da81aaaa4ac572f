package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"
)

// ListedSet remembers which event ids a provider listed during one
// reconcile run, and which of them were missing, in constant memory:
// reconcile diffs a listing against the ledger through it. It is not safe
// for concurrent use. Nothing in the ledger itself changes, so a dry run
// can use it too.
type ListedSet interface {
	// Add adds ids to the set and returns those that were not in it yet,
	// in their order in ids (repeats within ids count once).
	Add(ctx context.Context, ids []string) ([]string, error)
	// MarkMissing notes that ids (already added) were not in the ledger.
	MarkMissing(ctx context.Context, ids []string) error
	// StillMissing counts the ids marked missing that are still not in the
	// ledger, and returns up to limit of them (none for limit ≤ 0).
	StillMissing(ctx context.Context, limit int) (int, []string, error)
	// Unlisted counts the ledger's events of the set's source with the
	// given origin, created in [since, until) and received before
	// receivedBefore (zero: whenever), that are not in the set, and
	// returns up to limit of their ids, oldest first (none for limit ≤ 0).
	Unlisted(ctx context.Context, origin Origin, since, until, receivedBefore time.Time, limit int) (int, []string, error)
	// Expect notes that the events ids, of the types at the same index in
	// types, are expected in the window: the provider sent them and they
	// are in scope. An id noted twice keeps its first type.
	Expect(ctx context.Context, ids, types []string) error
	// ByType returns, per type and sorted by type, what became of the
	// expected events; an event counts as judged when it was received
	// before judgedBefore.
	ByType(ctx context.Context, judgedBefore time.Time) ([]TypeProgress, error)
	// Close drops the set.
	Close() error
}

// listedSet is the SQLite ListedSet: the ids live in a TEMP table (on
// disk, in SQLite's temp store) of a dedicated read-only connection to the
// ledger file, joined against the ledger's events.
type listedSet struct {
	pool   *sql.DB
	conn   *sql.Conn
	source string
}

// OpenListedSet opens an empty ListedSet for source. Close it when done.
func (db *DB) OpenListedSet(ctx context.Context, source string) (ListedSet, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "temp_store(FILE)")
	pool, err := sql.Open("sqlite", "file:"+uriPath(db.path)+"?"+q.Encode())
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
	return &listedSet{pool: pool, conn: conn, source: source}, nil
}

// Close drops the set.
func (s *listedSet) Close() error {
	return errors.Join(s.conn.Close(), s.pool.Close())
}

// Add adds ids to the set and returns those that were not in it yet, in
// their order in ids (repeats within ids count once).
func (s *listedSet) Add(ctx context.Context, ids []string) ([]string, error) {
	var fresh []string
	for start := 0; start < len(ids); start += maxLookup {
		chunk := ids[start:min(start+maxLookup, len(ids))]
		rows, err := s.conn.QueryContext(ctx, `INSERT INTO temp.listed (event_id) VALUES `+
			valueRows(len(chunk), 1)+` ON CONFLICT DO NOTHING RETURNING event_id`, anys(chunk)...)
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
func (s *listedSet) MarkMissing(ctx context.Context, ids []string) error {
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
// ledger, and returns up to limit of them (none for limit ≤ 0).
func (s *listedSet) StillMissing(ctx context.Context, limit int) (int, []string, error) {
	const from = ` FROM temp.listed l WHERE l.missing = 1 AND NOT EXISTS
		(SELECT 1 FROM main.events e WHERE e.source = ? AND e.event_id = l.event_id)`
	n, ids, err := s.countAndIDs(ctx, `SELECT count(*)`+from, `SELECT l.event_id`+from+
		` ORDER BY l.event_id LIMIT ?`, limit, s.source)
	if err != nil {
		return 0, nil, fmt.Errorf("count still missing: %w", err)
	}
	return n, ids, nil
}

// Unlisted counts the ledger's events of the set's source with the given
// origin, created in [since, until), that are not in the set: events the
// provider never listed. It returns up to limit of their ids, oldest first
// (none for limit ≤ 0).
func (s *listedSet) Unlisted(ctx context.Context, origin Origin, since, until, receivedBefore time.Time, limit int) (int, []string, error) {
	const from = ` FROM main.events e WHERE e.source = ? AND e.origin = ?
		AND e.created_at >= ? AND e.created_at < ? AND e.received_at < ?
		AND NOT EXISTS (SELECT 1 FROM temp.listed l WHERE l.event_id = e.event_id)`
	n, ids, err := s.countAndIDs(ctx, `SELECT count(*)`+from, `SELECT e.event_id`+from+
		` ORDER BY e.created_at, e.id LIMIT ?`, limit, s.source, string(origin), millis(since), millis(until),
		receivedBound(receivedBefore))
	if err != nil {
		return 0, nil, fmt.Errorf("count unlisted events: %w", err)
	}
	return n, ids, nil
}

// countAndIDs runs countQ, then, when it counted any and limit allows,
// idsQ with limit appended to args.
func (s *listedSet) countAndIDs(ctx context.Context, countQ, idsQ string, limit int, args ...any) (int, []string, error) {
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

// receivedBound is Unlisted's receivedBefore in Unix milliseconds, with
// the zero time as no bound.
func receivedBound(t time.Time) int64 {
	if t.IsZero() {
		return math.MaxInt64
	}
	return millis(t)
}
