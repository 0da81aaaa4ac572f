package ledger

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// withUmask runs the test under umask mask, the process's one umask, so
// these tests do not run in parallel.
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// checkPrivate checks that the ledger at path and its -wal and -shm exist
// with mode 0600.
func checkPrivate(t *testing.T, path string) {
	t.Helper()
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Errorf("stat %s: %v", filepath.Base(name), err)
			continue
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s = %04o, want 0600", filepath.Base(name), got)
		}
	}
}

// openWritten opens the ledger at path, closed when the test ends, and
// writes to it with checkpoints off, so that its -wal and -shm exist.
func openWritten(t *testing.T, path string) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.w.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		t.Fatal(err)
	}
	if err := db.StartRun(ctx, &Run{Source: "stripe", Job: "manual"}); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestLedgerFilesPrivateUnderUmask022 holds that customer data is not
// world-readable: under the common umask 022, a new ledger, its -wal and
// its -shm are all 0600.
func TestLedgerFilesPrivateUnderUmask022(t *testing.T) {
	withUmask(t, 0o022)
	path := filepath.Join(t.TempDir(), "ledger.db")
	db := openWritten(t, path)
	checkPrivate(t, path)
	if got := db.Tightened(); got != nil {
		t.Errorf("Tightened() = %q for a new ledger, want nil", got)
	}
}

// TestExistingWorldReadableLedgerIsTightened holds that a ledger created
// 0644 by an older hookledger is made 0600, -wal and -shm included, and
// that Open says which files it changed.
func TestExistingWorldReadableLedgerIsTightened(t *testing.T) {
	withUmask(t, 0o022)
	path := filepath.Join(t.TempDir(), "ledger.db")
	openWritten(t, path)
	// The -wal and -shm stay on disk, as after a crash: open them all up.
	names := []string{path, path + "-wal", path + "-shm"}
	for _, name := range names {
		if err := os.Chmod(name, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	checkPrivate(t, path)
	if got := db2.Tightened(); !slices.Equal(got, names) {
		t.Errorf("Tightened() = %q, want %q", got, names)
	}
}
