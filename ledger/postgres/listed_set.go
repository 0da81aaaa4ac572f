package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookledger/hookledger/ledger"
)

// ListedSet is the set of event ids a reconcile run saw in a provider's
// listing, held in a TEMP table of one pooled connection so that its
// memory stays on the server, flat in the size of the listing, and joined
// against the events table there.
type ListedSet struct {
	conn   *pgxpool.Conn
	source string
}

// OpenListedSet returns an empty ListedSet for source's events. The set
// holds one connection of the pool until Close.
func (db *DB) OpenListedSet(ctx context.Context, source string) (ledger.ListedSet, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("open listed set: %w", translate(err))
	}
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS hookledger_listed (
		event_id TEXT PRIMARY KEY, missing BOOLEAN NOT NULL DEFAULT false);
		CREATE TEMP TABLE IF NOT EXISTS hookledger_expected (event_id TEXT PRIMARY KEY, type TEXT NOT NULL);
		TRUNCATE pg_temp.hookledger_listed, pg_temp.hookledger_expected`); err != nil {
		conn.Release()
		return nil, fmt.Errorf("open listed set: %w", translate(err))
	}
	return &ListedSet{conn: conn, source: source}, nil
}

// Close empties the set and gives its connection back to the pool. The
// table stays with the connection (emptied, so its cached statements stay
// valid) for the next set opened on it.
func (s *ListedSet) Close() error {
	_, err := s.conn.Exec(context.Background(), `TRUNCATE pg_temp.hookledger_listed, pg_temp.hookledger_expected`)
	if err != nil {
		// A connection whose set could not be emptied is not reused.
		s.conn.Conn().Close(context.Background())
	}
	s.conn.Release()
	if err != nil {
		return fmt.Errorf("close listed set: %w", translate(err))
	}
	return nil
}

// Add adds ids to the set and returns those that were not in it yet, in
// their order in ids (repeats within ids count once).
func (s *ListedSet) Add(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, `INSERT INTO pg_temp.hookledger_listed (event_id)
		SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING event_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("add listed ids: %w", translate(err))
	}
	fresh, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("add listed ids: %w", translate(err))
	}
	isFresh := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		isFresh[id] = true
	}
	var ordered []string
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
	_, err := s.conn.Exec(ctx, `UPDATE pg_temp.hookledger_listed SET missing = true WHERE event_id = ANY($1::text[])`, ids)
	if err != nil {
		return fmt.Errorf("mark missing: %w", translate(err))
	}
	return nil
}

// StillMissing counts the ids marked missing that are still not in the
// ledger, and returns up to limit of them (none for limit ≤ 0).
func (s *ListedSet) StillMissing(ctx context.Context, limit int) (int, []string, error) {
	const from = ` FROM pg_temp.hookledger_listed l WHERE l.missing AND NOT EXISTS
		(SELECT 1 FROM events e WHERE e.source = $1 AND e.event_id = l.event_id)`
	n, ids, err := s.countAndIDs(ctx, `SELECT count(*)`+from, `SELECT l.event_id`+from+
		` ORDER BY l.event_id LIMIT $2`, limit, s.source)
	if err != nil {
		return 0, nil, fmt.Errorf("count still missing: %w", err)
	}
	return n, ids, nil
}

// Unlisted counts the ledger's events of the set's source with origin,
// created in [since, until), that are not in the set, and returns up to
// limit of their ids, oldest first (none for limit ≤ 0).
func (s *ListedSet) Unlisted(ctx context.Context, origin ledger.Origin, since, until, receivedBefore time.Time, limit int) (int, []string, error) {
	const from = ` FROM events e WHERE e.source = $1 AND e.origin = $2
		AND e.created_at >= $3 AND e.created_at < $4 AND e.received_at < $5
		AND NOT EXISTS (SELECT 1 FROM pg_temp.hookledger_listed l WHERE l.event_id = e.event_id)`
	bound := int64(math.MaxInt64)
	if !receivedBefore.IsZero() {
		bound = millis(receivedBefore)
	}
	n, ids, err := s.countAndIDs(ctx, `SELECT count(*)`+from, `SELECT e.event_id`+from+
		` ORDER BY e.created_at, e.id LIMIT $6`, limit, s.source, string(origin), millis(since), millis(until), bound)
	if err != nil {
		return 0, nil, fmt.Errorf("count unlisted events: %w", err)
	}
	return n, ids, nil
}

func (s *ListedSet) countAndIDs(ctx context.Context, countQ, idsQ string, limit int, args ...any) (int, []string, error) {
	var n int64
	if err := s.conn.QueryRow(ctx, countQ, args...).Scan(&n); err != nil {
		return 0, nil, translate(err)
	}
	if n == 0 || limit <= 0 {
		return int(n), nil, nil
	}
	rows, err := s.conn.Query(ctx, idsQ, append(args, limit)...)
	if err != nil {
		return 0, nil, translate(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return int(n), ids, translate(err)
}

// Expect notes that the events ids, of the types at the same index in
// types, are expected in the window: the provider sent them and they are
// in scope. An id noted twice keeps its first type.
func (s *ListedSet) Expect(ctx context.Context, ids, types []string) error {
	if len(ids) != len(types) {
		return fmt.Errorf("expect: %d ids but %d types", len(ids), len(types))
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := s.conn.Exec(ctx, `INSERT INTO pg_temp.hookledger_expected (event_id, type)
		SELECT id, type FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(id, type, n) ORDER BY n
		ON CONFLICT DO NOTHING`, ids, types)
	if err != nil {
		return fmt.Errorf("expect: %w", translate(err))
	}
	return nil
}

// ByType returns, per type and sorted by type, what became of the
// expected events; an event counts as judged when it was received before
// judgedBefore. One pass over the expected events, one index lookup each.
func (s *ListedSet) ByType(ctx context.Context, judgedBefore time.Time) ([]ledger.TypeProgress, error) {
	rows, err := s.conn.Query(ctx, `SELECT x.type, count(*),
		count(*) FILTER (WHERE e.state = 'processed'),
		count(*) FILTER (WHERE e.state IN ('pending', 'processing', 'failed')),
		count(*) FILTER (WHERE e.state = 'dead'),
		count(*) FILTER (WHERE e.id IS NULL),
		count(*) FILTER (WHERE e.received_at < $1),
		count(*) FILTER (WHERE e.received_at < $1 AND e.state = 'processed')
		FROM pg_temp.hookledger_expected x LEFT JOIN events e ON e.source = $2 AND e.event_id = x.event_id
		GROUP BY x.type ORDER BY x.type COLLATE "C"`, millis(judgedBefore), s.source)
	if err != nil {
		return nil, fmt.Errorf("read by type: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.TypeProgress, error) {
		var p ledger.TypeProgress
		var n [7]int64
		err := row.Scan(&p.Type, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6])
		p.Expected, p.Processed, p.Waiting, p.Dead = int(n[0]), int(n[1]), int(n[2]), int(n[3])
		p.Missing, p.Judged, p.JudgedProcessed = int(n[4]), int(n[5]), int(n[6])
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read by type: %w", translate(err))
	}
	return out, nil
}
