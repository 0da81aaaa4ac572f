package postgres

import (
	"context"
	"fmt"
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
func (db *DB) OpenListedSet(ctx context.Context, source string) (*ListedSet, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("open listed set: %w", translate(err))
	}
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS hookledger_listed (
		event_id TEXT PRIMARY KEY, missing BOOLEAN NOT NULL DEFAULT false);
		TRUNCATE pg_temp.hookledger_listed`); err != nil {
		conn.Release()
		return nil, fmt.Errorf("open listed set: %w", translate(err))
	}
	return &ListedSet{conn: conn, source: source}, nil
}

// Close empties the set and gives its connection back to the pool. The
// table stays with the connection (emptied, so its cached statements stay
// valid) for the next set opened on it.
func (s *ListedSet) Close() error {
	_, err := s.conn.Exec(context.Background(), `TRUNCATE pg_temp.hookledger_listed`)
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
func (s *ListedSet) Unlisted(ctx context.Context, origin ledger.Origin, since, until time.Time, limit int) (int, []string, error) {
	const from = ` FROM events e WHERE e.source = $1 AND e.origin = $2
		AND e.created_at >= $3 AND e.created_at < $4
		AND NOT EXISTS (SELECT 1 FROM pg_temp.hookledger_listed l WHERE l.event_id = e.event_id)`
	n, ids, err := s.countAndIDs(ctx, `SELECT count(*)`+from, `SELECT e.event_id`+from+
		` ORDER BY e.created_at, e.id LIMIT $5`, limit, s.source, string(origin), millis(since), millis(until))
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
