package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// OpenReadOnly opens the existing ledger at path for reading only, for
// commands that only look (status, events, alerts list). It creates no
// file, runs no migration and writes nothing: SQLite opens the file with
// mode=ro, and every write method returns ErrReadOnly. It works for a user
// who may only read the file.
//
// It returns an error wrapping ErrNoLedger when path does not exist or is
// not a hookledger ledger, ErrSchemaOutdated when the ledger lacks
// migrations this build has (a writing command upgrades it), and
// ErrSchemaMismatch when its applied migrations differ from this build's.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoLedger, path)
	} else if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	r, err := openReader(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	return &DB{path: path, r: r, now: time.Now, recorded: make(chan struct{}, 1), codec: newCodec()}, nil
}

// openReader opens a read-only pool on path and checks its schema. SQLite
// reads a WAL ledger through its -shm file, which it creates when missing.
// A user who may not write the directory cannot create it: then, if no
// -wal file exists (no writer has the ledger open), the file is opened
// immutable, which needs no -shm; with a -wal the error stands, since an
// immutable reader would not see what a live writer committed.
func openReader(ctx context.Context, path string) (*sql.DB, error) {
	r, err := readerPool(ctx, path, connReadOnly)
	if err == nil || !cannotInitWAL(err) {
		return r, err
	}
	if _, statErr := os.Stat(path + "-wal"); !errors.Is(statErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (a writer has it open, and reading alongside it needs write access to its directory)", err)
	}
	return readerPool(ctx, path, connImmutable)
}

// readerPool opens a pool of kind on path and checks the schema.
func readerPool(ctx context.Context, path string, kind int) (*sql.DB, error) {
	r, err := sql.Open("sqlite", dsn(path, kind))
	if err != nil {
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	if err := checkSchema(ctx, r); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// cannotInitWAL reports whether err is SQLite failing to set up WAL
// reading for lack of write access (the -shm file cannot be created).
func cannotInitWAL(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_READONLY_DIRECTORY, sqlite3.SQLITE_READONLY_CANTINIT, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// checkSchema checks, without writing, that the ledger on r has exactly
// this build's migrations applied.
func checkSchema(ctx context.Context, r *sql.DB) error {
	var tables int
	err := r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`).Scan(&tables)
	if err != nil {
		return err
	}
	if tables == 0 {
		return fmt.Errorf("%w: the file is not a hookledger ledger (it has no migrations table)", ErrNoLedger)
	}
	ms, err := embedded()
	if err != nil {
		return err
	}
	if has, err := hasChecksums(ctx, r); err != nil {
		return err
	} else if !has {
		return fmt.Errorf("%w: it predates migration checksums; %s", ErrSchemaOutdated, upgradeHint)
	}
	applied, err := appliedMigrations(ctx, r)
	if err != nil {
		return err
	}
	if err := checkApplied(applied, ms); err != nil {
		return err
	}
	var missing []string
	for _, m := range ms {
		if _, ok := applied[m.name]; !ok {
			missing = append(missing, strings.TrimPrefix(m.name, "migrations/"))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: it lacks %s; %s", ErrSchemaOutdated, strings.Join(missing, ", "), upgradeHint)
	}
	return nil
}

// upgradeHint says how to bring an old ledger up to date.
const upgradeHint = "a command that writes (hookledger serve, process or reconcile), run by a user who may write the file, upgrades it"
