package sources_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// mountTmpfs mounts a size-limited tmpfs (a real file system that fills up)
// and returns its path. It needs the privilege to mount, which CI has (it
// runs as root); without it the test cannot build the fault and says so.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a size-limited tmpfs here (needs root, as in CI): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// health returns the status and body of GET /healthz.
func health(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s: %v: %s", opts, err, out)
	}
}

// TestReceiverDiskFull fills a real file system under the ledger: the
// receiver must answer 503, never 2xx for an event it did not store, and
// recover once space is back.
func TestReceiverDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "1M")
	ctx := context.Background()
	db, err := ledger.Open(ctx, filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rv := sources.NewReceiver(db, []sources.Source{stripeSource(t)}, sources.ReceiverOptions{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(rv)
	defer srv.Close()
	h := &harness{db: db, srv: srv}

	send := func(id string) int {
		payload := stripePayload(id)
		return h.post(t, "/webhooks/stripe", payload, stripeHeader(signStripe(payload, stripeSecret, time.Now())))
	}
	var acked []string
	full := 0
	for i := 0; i < 5000 && full < 20; i++ {
		id := fmt.Sprintf("evt_full_%05d", i)
		switch st := send(id); st {
		case http.StatusOK:
			acked = append(acked, id)
		case http.StatusServiceUnavailable:
			full++
		default:
			t.Fatalf("disk filling: status %d for %s, want 200 or 503", st, id)
		}
	}
	if full == 0 {
		t.Fatalf("sent 5000 events into a 1 MiB file system and none was refused")
	}
	t.Logf("%d events acknowledged before the disk filled, then %d answered 503", len(acked), full)

	// Health says what the writer can do, not whether a read answers: 503
	// with the reason while the disk is full, also once the writer has been
	// idle (a write probe), and 200 again once space is back.
	if st, body := health(t, srv.URL); st != http.StatusServiceUnavailable || !strings.Contains(body, "full") {
		t.Errorf("healthz on a full disk = %d %s, want 503 naming the full disk", st, body)
	}
	time.Sleep(6 * time.Second) // past the last commit's freshness: the next check probes
	if st, body := health(t, srv.URL); st != http.StatusServiceUnavailable {
		t.Errorf("healthz on a full disk, writer idle = %d %s, want 503", st, body)
	}

	remount(t, dir, "size=64M")
	time.Sleep(1100 * time.Millisecond) // past the probe spacing
	if st, body := health(t, srv.URL); st != http.StatusOK {
		t.Errorf("healthz after space came back = %d %s, want 200", st, body)
	}
	if st := send("evt_after_full"); st != http.StatusOK {
		t.Errorf("after space came back: status %d, want 200", st)
	}
	acked = append(acked, "evt_after_full")

	for _, id := range acked {
		if _, err := db.Event(ctx, "stripe", id); err != nil {
			t.Errorf("acknowledged %s is not in the ledger: %v", id, err)
		}
	}
}

// TestLedgerOnReadOnlyFileSystemFailsToOpen puts an existing ledger on a
// read-only mount: opening it must fail (so serve refuses to start) rather
// than accept events it cannot store.
func TestLedgerOnReadOnlyFileSystemFailsToOpen(t *testing.T) {
	dir := mountTmpfs(t, "4M")
	path := filepath.Join(dir, "ledger.db")
	db, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	remount(t, dir, "ro")
	db, err = ledger.Open(context.Background(), path)
	if err == nil {
		db.Close()
		t.Fatal("Open() on a read-only file system succeeded, want an error")
	}
}
