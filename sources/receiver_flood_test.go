package sources_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/sources"
)

// floodRequests is the size of each flood: the red-team run's figure.
const floodRequests = 100_000

// flood serves n requests made by mk through h in-process, from 4
// goroutines, and returns how many were answered each status.
func flood(t *testing.T, h http.Handler, n int, mk func(i int) *http.Request) map[int]int {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			local := map[int]int{}
			for i := w; i < n; i += workers {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, mk(i))
				local[rec.Code]++
			}
			mu.Lock()
			for k, v := range local {
				statuses[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return statuses
}

// TestUnknownSourcesDoNotGrowMetrics: POST /webhooks/<anything> must not
// add a label value per path. 100,000 random source names leave /metrics
// with the configured sources and one "unknown" bucket.
func TestUnknownSourcesDoNotGrowMetrics(t *testing.T) {
	db, err := ledger.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := metrics.New(prometheus.NewRegistry(), db)
	var logs bytes.Buffer
	rv := sources.NewReceiver(db, []sources.Source{stripeSource(t)}, sources.ReceiverOptions{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Observer: m})
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	before := len(scrape())
	statuses := flood(t, rv, floodRequests, func(i int) *http.Request {
		return httptest.NewRequest("POST", fmt.Sprintf("/webhooks/src%08x", i*2654435761), strings.NewReader("{}"))
	})
	if statuses[http.StatusNotFound] != floodRequests {
		t.Fatalf("statuses = %v, want %d × 404", statuses, floodRequests)
	}
	body := scrape()
	t.Logf("/metrics: %d bytes before, %d after %d unknown-source requests; log %d bytes", before, len(body), floodRequests, logs.Len())
	if !strings.Contains(body, fmt.Sprintf(`hookledger_webhooks_rejected_total{reason="unknown_source",source="unknown"} %d`, floodRequests)) {
		t.Errorf("the unknown bucket does not count the flood:\n%s", grep(body, "rejected"))
	}
	if strings.Contains(body, `source="src`) {
		t.Errorf("a request path became a label value:\n%.2000s", grep(body, `source="src`))
	}
	if len(body) > before+4<<10 {
		t.Errorf("/metrics grew from %d to %d bytes, want at most 4 KiB more", before, len(body))
	}
	if logs.Len() > 0 {
		t.Errorf("unknown-source requests wrote %d bytes of log, want none:\n%.500s", logs.Len(), logs.String())
	}
	rows, err := db.Rejections(context.Background(), "", time.Time{}, 0)
	if err != nil || len(rows) != 0 {
		t.Errorf("unknown-source requests left %d rejection rows (%v), want none", len(rows), err)
	}
}

// TestRejectionFloodIsBounded: 100,000 bad-signature requests must add
// under 1 MB to the ledger and under 100 KB of log (before, each wrote a
// receipt row and an INFO line, and 40,000 filled a 3 MiB disk), while
// still telling the operator how many came, why, and from where.
func TestRejectionFloodIsBounded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	db, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SyncRejections(context.Background()); err != nil {
		t.Fatal(err)
	}
	before, beforeWAL := ledgerSize(t, path)
	var logs bytes.Buffer
	rv := sources.NewReceiver(db, []sources.Source{stripeSource(t)}, sources.ReceiverOptions{
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	payload := stripePayload("evt_forged")
	sig := signStripe(payload, "whsec_guessed", time.Now())
	statuses := flood(t, rv, floodRequests, func(i int) *http.Request {
		r := httptest.NewRequest("POST", "/webhooks/stripe", bytes.NewReader(payload))
		r.Header.Set("Stripe-Signature", sig)
		r.RemoteAddr = fmt.Sprintf("192.0.2.%d:4%04d", i%250, i%10000)
		return r
	})
	if statuses[http.StatusUnauthorized] != floodRequests {
		t.Fatalf("statuses = %v, want %d × 401", statuses, floodRequests)
	}
	if err := db.SyncRejections(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, afterWAL := ledgerSize(t, path)
	growth := after + afterWAL - before - beforeWAL
	t.Logf("%d bad-signature requests: ledger grew %d bytes (file %d, WAL %d), log %d bytes",
		floodRequests, growth, after-before, afterWAL-beforeWAL, logs.Len())
	if growth >= 1_000_000 {
		t.Errorf("ledger grew %d bytes, want under 1 MB", growth)
	}
	if logs.Len() >= 100_000 {
		t.Errorf("log grew %d bytes, want under 100 KB", logs.Len())
	}
	rows, err := db.Rejections(context.Background(), "stripe", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, r := range rows {
		total += r.Count
		if r.Reason != sources.ReasonSignature || r.Last.Status != 401 || !strings.HasPrefix(r.Last.RemoteAddr, "192.0.2.") {
			t.Errorf("rejection row %+v, want signature 401 from 192.0.2.x", r)
		}
	}
	if total != floodRequests {
		t.Errorf("rejection rows count %d requests, want %d", total, floodRequests)
	}
}

// ledgerSize is the bytes of the ledger file and of its WAL.
func ledgerSize(t *testing.T, path string) (file, wal int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := os.Stat(path + "-wal"); err == nil {
		wal = w.Size()
	}
	return fi.Size(), wal
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
