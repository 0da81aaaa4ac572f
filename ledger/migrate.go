package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded schema file and the sha256 of its bytes.
type migration struct {
	name     string // "migrations/001_events.sql", as the migrations table names it
	body     []byte
	checksum string // hex sha256 of body
}

// released are the checksums of the migrations of the first released
// schema (c00459b). Ledgers created before checksums were recorded list
// these names with no checksum; they are taken to hold exactly these files,
// which the embedded ones must still be (migrations are append-only).
var released = map[string]string{
	"migrations/001_events.sql": "61caba846198dac641a4411ff7ac12d93f7b737692c1353e590da00c131540e3",
	"migrations/002_queue.sql":  "e794022f1afb29d219d8fcd55f1adcce3dee027477c920766817464dec606ed7",
	"migrations/003_runs.sql":   "a4ccb3c3476542fccd78cfa23ce6b04e568b86a00236b20939948ec6a1971dfd",
	"migrations/004_alerts.sql": "828692de811ad39622631f9c2b9eae3d9aadedc5b2edf515d1e911c52b2cfa7e",
}

// embedded returns the embedded migrations in name order.
func embedded() ([]migration, error) {
	return readMigrations(migrationFS, "migrations")
}

// readMigrations reads dir's *.sql files of fsys in name order, named
// "migrations/FILE" whatever dir is.
func readMigrations(fsys fs.FS, dir string) ([]migration, error) {
	paths, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(paths)
	out := make([]migration, 0, len(paths))
	for _, p := range paths {
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		out = append(out, migration{name: "migrations/" + p[len(dir)+1:], body: body, checksum: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// migrate brings the ledger on db to the embedded schema: it records the
// checksums of migrations applied before checksums were kept, refuses a
// ledger whose applied migrations differ from the embedded ones, then
// applies, in name order, each embedded migration not yet applied, each in
// its own transaction with its checksum.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := embedded()
	if err != nil {
		return err
	}
	if err := adoptLegacy(ctx, db, ms); err != nil {
		return err
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return err
	}
	if err := checkApplied(applied, ms); err != nil {
		return err
	}
	for _, m := range ms {
		if _, ok := applied[m.name]; ok {
			continue
		}
		if err := applyMigration(ctx, db, m); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// adoptLegacy creates the migrations table or gives an old one (from before
// checksums, c00459b) its checksum column, filling it in for the released
// migrations it lists. It refuses a listed migration that is not a
// released one, and an embedded released migration that was edited.
func adoptLegacy(ctx context.Context, db *sql.DB, ms []migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	has, err := hasChecksums(ctx, tx)
	if err != nil {
		return err
	}
	if !has {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE migrations ADD COLUMN checksum TEXT NOT NULL DEFAULT ''`); err != nil {
			return fmt.Errorf("add migration checksums: %w", err)
		}
	}
	if err := fillChecksums(ctx, tx, ms); err != nil {
		return err
	}
	return tx.Commit()
}

// fillChecksums records the released checksum of every migration listed
// without one.
func fillChecksums(ctx context.Context, tx *sql.Tx, ms []migration) error {
	var legacy []string
	rows, err := tx.QueryContext(ctx, `SELECT name FROM migrations WHERE checksum = '' ORDER BY name`)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	if err := scanRows(rows, func(rows *sql.Rows) error {
		var name string
		err := rows.Scan(&name)
		legacy = append(legacy, name)
		return err
	}); err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	byName := make(map[string]migration, len(ms))
	for _, m := range ms {
		byName[m.name] = m
	}
	for _, name := range legacy {
		sum, ok := released[name]
		if !ok {
			return fmt.Errorf("%w: migration %s was applied before checksums were recorded and is not part of the released schema",
				ErrSchemaMismatch, name)
		}
		if m, ok := byName[name]; !ok || m.checksum != sum {
			return fmt.Errorf("%w: this build's %s is not the released one (sha256 %s); released migrations must not change",
				ErrSchemaMismatch, name, sum)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE migrations SET checksum = ? WHERE name = ?`, sum, name); err != nil {
			return fmt.Errorf("record checksum of %s: %w", name, err)
		}
	}
	return nil
}

// queryer is what the schema checks read through: a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hasChecksums reports whether the migrations table has its checksum
// column (ledgers created before c00459b's successor have none).
func hasChecksums(ctx context.Context, q queryer) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('migrations') WHERE name = 'checksum'`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read migrations table: %w", err)
	}
	return n > 0, nil
}

// appliedMigrations returns each applied migration's recorded checksum.
func appliedMigrations(ctx context.Context, q queryer) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, checksum FROM migrations`)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	applied := map[string]string{}
	err = scanRows(rows, func(rows *sql.Rows) error {
		var name, sum string
		if err := rows.Scan(&name, &sum); err != nil {
			return err
		}
		applied[name] = sum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	return applied, nil
}

// checkApplied refuses a ledger with an applied migration this build does
// not have (a newer hookledger upgraded it) or whose checksum differs from
// the embedded file's (a migration edited after it was applied).
func checkApplied(applied map[string]string, ms []migration) error {
	byName := make(map[string]migration, len(ms))
	for _, m := range ms {
		byName[m.name] = m
	}
	names := make([]string, 0, len(applied))
	for name := range applied {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m, ok := byName[name]
		switch {
		case !ok:
			return fmt.Errorf("%w: it has migration %s, which this hookledger does not know: a newer hookledger upgraded it",
				ErrSchemaMismatch, name)
		case m.checksum != applied[name]:
			return fmt.Errorf("%w: migration %s was applied with sha256 %s, this hookledger's is %s; migrations are append-only",
				ErrSchemaMismatch, name, applied[name], m.checksum)
		}
	}
	return nil
}

// applyMigration applies m in its own transaction and records it with its
// checksum, unless another process applied it meanwhile.
func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE name = ?`, m.name).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(m.body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name, applied_at, checksum)
		VALUES (?, strftime('%s','now'), ?)`, m.name, m.checksum); err != nil {
		return err
	}
	return tx.Commit()
}
