package ledger_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// litestreamVersion is the Litestream release the replication test runs.
const litestreamVersion = "v0.5.18"

// buildLitestream installs Litestream once into a shared temp directory,
// as the stripe-mock test does (the Go build cache makes rebuilds cheap).
// Where it cannot be built the test skips, except under CI=true, where it
// fails.
func buildLitestream(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "hookledger-litestream-"+litestreamVersion)
	bin := filepath.Join(dir, "litestream")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	tmp, err := os.MkdirTemp(os.TempDir(), "litestream-build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/benbjohnson/litestream/cmd/litestream@"+litestreamVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot build litestream %s: %v\n%s", litestreamVersion, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(tmp, "litestream"), bin); err != nil {
		if _, serr := os.Stat(bin); serr != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// TestLitestreamReplicaHasEveryAcknowledgedEvent replicates a ledger that
// eight writers are filling, with checkpoints left to Litestream, to a
// file replica with the real Litestream binary; once the writers stop and
// Litestream has synced, a restored copy holds every acknowledged event
// and passes integrity_check.
func TestLitestreamReplicaHasEveryAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs Litestream")
	}
	bin := buildLitestream(t)
	ctx := context.Background()
	dir := t.TempDir()
	path, replica := filepath.Join(dir, "ledger.db"), "file://"+filepath.Join(dir, "replica")
	db, err := ledger.OpenWith(ctx, path, ledger.Options{AutoCheckpoint: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	logf, err := os.Create(filepath.Join(dir, "litestream.log"))
	if err != nil {
		t.Fatal(err)
	}
	ls := exec.Command(bin, "replicate", path, replica)
	ls.Stdout, ls.Stderr = logf, logf
	if err := ls.Start(); err != nil {
		t.Fatalf("start litestream: %v", err)
	}
	defer func() {
		ls.Process.Signal(syscall.SIGTERM)
		ls.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("litestream log:\n%s", b)
		}
	}()

	w := startWriters(t, db, 8)
	defer w.halt()              // before the ledger closes
	time.Sleep(4 * time.Second) // under load: several syncs and checkpoints
	// A restore taken under load is consistent (once Litestream has its
	// first snapshot, which it takes at its own pace).
	mid, err := restoreWithin(t, bin, replica, filepath.Join(dir, "mid.db"), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	missingFrom(t, mid, nil)
	time.Sleep(2 * time.Second)
	w.halt()
	acked := w.snapshot()
	t.Logf("%d events acknowledged while Litestream replicated", len(acked))

	// Litestream syncs every second: wait for the sync that follows the
	// last acknowledgement, then every acknowledged event must be there.
	var missing []string
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; i++ {
		out, err := restoreWithin(t, bin, replica, filepath.Join(dir, fmt.Sprintf("restored-%d.db", i)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if missing = missingFrom(t, out, acked); len(missing) == 0 {
			r, err := ledger.Open(ctx, out)
			if err != nil {
				t.Fatalf("restored ledger does not open: %v", err)
			}
			r.Close()
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	t.Errorf("60s after the last write, the restored replica lacks %d of %d acknowledged events, e.g. %s",
		len(missing), len(acked), missing[0])
}

// restoreWithin runs litestream restore of replica into out, trying again
// for up to wait while the replica has nothing to restore yet, and
// returns out.
func restoreWithin(t *testing.T, bin, replica, out string, wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		b, err := exec.Command(bin, "restore", "-o", out, replica).CombinedOutput()
		if err == nil {
			return out, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("litestream restore: %v\n%s", err, b)
		}
		t.Logf("litestream restore not possible yet (%v): %s", err, b)
		os.Remove(out)
		time.Sleep(500 * time.Millisecond)
	}
}
