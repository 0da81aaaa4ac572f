package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// benchLedger is the big ledger the status page benchmarks share, built
// once per process.
var benchLedger struct {
	once sync.Once
	bl   bigLedger
	dir  string
}

// benchEvents is the size of the benchmark ledger: 1,000,000 events, or
// $HOOKLEDGER_BENCH_EVENTS.
func benchEvents(b *testing.B) int {
	if v := os.Getenv("HOOKLEDGER_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 200 {
			b.Fatalf("HOOKLEDGER_BENCH_EVENTS=%q: want a whole number of at least 200", v)
		}
		return n
	}
	return 1_000_000
}

// timeLayoutRFC is how the benchmark writes the log's time filters.
const timeLayoutRFC = time.RFC3339

// BenchmarkStatusPage measures every page and API call of the status page
// on a ledger of a million events (HOOKLEDGER_BENCH_EVENTS to change it):
//
//	go test ./cmd/hookledger -run '^$' -bench BenchmarkStatusPage -benchtime 20x
//
// Each must answer in under 100 ms.
func BenchmarkStatusPage(b *testing.B) {
	benchLedger.once.Do(func() {
		dir, err := os.MkdirTemp("", "hookledger-bench-page-")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		benchLedger.dir, benchLedger.bl = dir, buildBigLedger(b, dir, benchEvents(b), time.Now())
		b.Logf("built a ledger of %d events in %s", benchLedger.bl.Events, time.Since(start).Round(time.Millisecond))
	})
	bl := benchLedger.bl
	db, err := ledger.Open(context.Background(), bl.Path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := &app.App{Config: app.Config{AdminToken: "bench-token"}, DB: db, Log: slog.New(slog.DiscardHandler)}
	page, err := a.AdminPage()
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{
		"/",
		"/events",
		"/events?state=dead",
		"/events?source=github&type=push",
		"/events?type=no.such.type",
		"/events?q=" + bl.DeadID[:12],
		"/events?q=" + bl.DeadID,
		"/events?q=evt_", // a prefix of every event: the page is truncated
		"/events?origin=webhook&since=" + bl.Now.Add(-20*24*time.Hour).UTC().Format(timeLayoutRFC) +
			"&until=" + bl.Now.Add(-10*24*time.Hour).UTC().Format(timeLayoutRFC),
		"/events/" + bl.DeadSource + "/" + bl.DeadID,
		"/alerts",
		"/api/status",
		"/api/events?state=failed",
		"/api/events/" + bl.DeadSource + "/" + bl.DeadID,
		"/api/alerts",
	} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer bench-token")
				rec := httptest.NewRecorder()
				page.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: status %d: %s", path, rec.Code, rec.Body)
				}
			}
		})
	}
}
