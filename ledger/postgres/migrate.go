package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookledger/hookledger/ledger"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the first key of the advisory lock that serialises
// migrations; the second is the schema's hash, so ledgers in different
// schemas of one database migrate independently.
const migrationLock = 0x686b6c67 // "hklg"

// migration is one embedded schema file and the sha256 of its bytes.
type migration struct {
	name     string // "001_ledger.sql"
	body     string
	checksum string
}

func embedded() ([]migration, error) {
	paths, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(paths)
	out := make([]migration, 0, len(paths))
	for _, p := range paths {
		body, err := fs.ReadFile(migrationFS, p)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		out = append(out, migration{name: strings.TrimPrefix(p, "migrations/"), body: string(body), checksum: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// migrate brings the schema to the embedded migrations while holding a
// session advisory lock, so that processes opening the ledger at once
// apply each migration once: the others wait, then find it applied. It
// refuses (ledger.ErrSchemaMismatch) a database where an applied
// migration's checksum differs from the embedded file's, or where one was
// applied that this build does not have. It returns the names it applied.
func migrate(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	ms, err := embedded()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", translate(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, migrationLock); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", translate(err))
	}
	defer func() {
		// A lock left behind on a broken connection goes with it.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, migrationLock)
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS hookledger_migrations (
		name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: %w", translate(err))
	}
	applied, err := appliedMigrations(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	if err := checkApplied(applied, ms); err != nil {
		return nil, err
	}
	var done []string
	for _, m := range ms {
		if _, ok := applied[m.name]; ok {
			continue
		}
		if err := apply(ctx, conn.Conn(), m); err != nil {
			return nil, err
		}
		done = append(done, m.name)
	}
	return done, nil
}

// checkCurrent checks, without writing, that the database holds a ledger
// whose applied migrations are exactly this build's.
func checkCurrent(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := embedded()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", translate(err))
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('hookledger_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("check schema: %w", translate(err))
	}
	if !exists {
		return fmt.Errorf("%w in this database", ledger.ErrNoLedger)
	}
	applied, err := appliedMigrations(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if err := checkApplied(applied, ms); err != nil {
		return err
	}
	if len(applied) != len(ms) {
		return fmt.Errorf("%w: %d of this build's %d migrations are applied; run a command that writes (hookledger init) to apply them",
			ledger.ErrSchemaMismatch, len(applied), len(ms))
	}
	return nil
}

func appliedMigrations(ctx context.Context, conn *pgx.Conn) (map[string]string, error) {
	rows, err := conn.Query(ctx, `SELECT name, checksum FROM hookledger_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: read applied: %w", translate(err))
	}
	out := map[string]string{}
	var name, sum string
	_, err = pgx.ForEachRow(rows, []any{&name, &sum}, func() error {
		out[name] = sum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: read applied: %w", translate(err))
	}
	return out, nil
}

// checkApplied refuses applied migrations that are not the embedded ones.
func checkApplied(applied map[string]string, ms []migration) error {
	known := make(map[string]string, len(ms))
	for _, m := range ms {
		known[m.name] = m.checksum
	}
	for name, sum := range applied {
		want, ok := known[name]
		switch {
		case !ok:
			return fmt.Errorf("%w: migration %s was applied by a newer hookledger", ledger.ErrSchemaMismatch, name)
		case sum != want:
			return fmt.Errorf("%w: migration %s was changed after it was applied", ledger.ErrSchemaMismatch, name)
		}
	}
	return nil
}

// apply runs one migration and records its checksum in one transaction.
func apply(ctx context.Context, conn *pgx.Conn, m migration) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, m.body); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO hookledger_migrations (name, checksum, applied_at) VALUES ($1, $2, $3)`,
			m.name, m.checksum, time.Now().UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: apply %s: %w", m.name, translate(err))
	}
	return nil
}
