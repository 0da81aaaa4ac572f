package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrInUse is returned by Vacuum when another connection has the ledger
// open: a running serve, cron or any other command.
var ErrInUse = errors.New("ledger is open in another process")

// Backup writes a consistent copy of the ledger to path, which must not
// exist yet. The copy is one read transaction (VACUUM INTO): it sees every
// write committed before it began and none after, and in WAL mode it never
// holds the write lock, so intake goes on meanwhile. The copy is written
// to a temporary file beside path with mode 0600, synced, then renamed
// into place: path is whole or absent.
func (db *DB) Backup(ctx context.Context, path string) error {
	if err := db.backup(ctx, path); err != nil {
		return fmt.Errorf("back up ledger to %s: %w", path, err)
	}
	return nil
}

func (db *DB) backup(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return errors.New("file exists")
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // after the rename, a no-op
	if err := tmp.Close(); err != nil {
		return err
	}
	// Its own connection: the read pool is query_only, which VACUUM INTO
	// refuses, and the write connection is the writer's alone.
	c, err := sql.Open("sqlite", "file:"+uriPath(db.path)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `VACUUM INTO ?`, name); err != nil {
		return translate(err)
	}
	if err := syncFile(name); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	return syncFile(filepath.Dir(path))
}

// syncFile flushes the file or directory at path to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// Vacuum rebuilds the ledger file at path with auto_vacuum=INCREMENTAL,
// so that a ledger created before it returns pruned pages to the file
// system, and leaves the WAL empty. It needs the file to itself: it
// returns ErrInUse, changing nothing, while any other connection has it
// open. It rewrites the whole file and needs as much free disk again.
func Vacuum(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("vacuum ledger: %w", err)
	}
	c, err := sql.Open("sqlite", "file:"+uriPath(path)+"?_pragma=busy_timeout(0)&_pragma=locking_mode(EXCLUSIVE)")
	if err != nil {
		return fmt.Errorf("vacuum ledger: %w", err)
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	// In exclusive locking mode the lock taken here is kept until close,
	// so nobody opens the file between this check and the VACUUM.
	if _, err := c.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		return fmt.Errorf("vacuum ledger %s: %w: %w", path, ErrInUse, translate(err))
	}
	if _, err := c.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("vacuum ledger %s: %w", path, translate(err))
	}
	for _, q := range []string{`PRAGMA auto_vacuum = INCREMENTAL`, `VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("vacuum ledger %s: %s: %w", path, q, translate(err))
		}
	}
	return nil
}

// FileSize returns the bytes the ledger at path takes on disk: the file and
// its WAL; 0 for a file that is not there.
func FileSize(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}
