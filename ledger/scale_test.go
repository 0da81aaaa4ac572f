package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stripeEvent renders a 2,600-byte Stripe invoice.paid event (the bench's
// template, testdata/stripe_event.json) for sequence number seq: its ids
// and its filler of random reference ids are its own, so it compresses as
// provider JSON does, one event at a time.
func stripeEvent(tb testing.TB, tmpl string, seq int) (string, []byte) {
	tb.Helper()
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	rng := rand.New(rand.NewPCG(uint64(seq), 42))
	id := fmt.Sprintf("scale%019d", seq)
	body := strings.ReplaceAll(tmpl, "@ID@", id)
	body = strings.ReplaceAll(body, "@CREATED@", strconv.Itoa(1764600000+seq))
	pad := 2600 - (len(body) - len("@FILL@"))
	var fill strings.Builder
	for fill.Len() < pad {
		fill.WriteString("ref_")
		for range 14 {
			fill.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		fill.WriteByte(' ')
	}
	return "evt_" + id, []byte(strings.Replace(body, "@FILL@", fill.String()[:pad], 1))
}

// buildLedger adds n webhook events with receipts to db by direct inserts
// in transactions of 5,000 (the writer's own insert, not HTTP): all
// processed but the newest 20, which are pending, and 5 dead, whatever n,
// so that what waits is the same at every size and only the history grows.
func buildLedger(tb testing.TB, db *DB, n int) {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "stripe_event.json"))
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := strings.TrimSuffix(string(raw), "\n")
	now := time.Now()
	const txSize = 5000
	for start := 0; start < n; start += txSize {
		reqs := make([]*recordReq, min(txSize, n-start))
		var wg sync.WaitGroup
		for w := range 2 { // encode on both CPUs, as request goroutines would
			wg.Go(func() {
				for i := w; i < len(reqs); i += 2 {
					seq := start + i
					id, body := stripeEvent(tb, tmpl, seq)
					reqs[i] = &recordReq{headers: "{}", payload: db.encodePayload("stripe", body),
						ev: &Event{Source: "stripe", EventID: id, Type: "invoice.paid", Origin: OriginWebhook,
							ContentType: "application/json", CreatedAt: now.Add(time.Duration(seq-n) * time.Second)},
						rc: &Receipt{Status: 200, RemoteAddr: "127.0.0.1:40000", BodySize: len(body), Duration: time.Millisecond}}
				}
			})
		}
		wg.Wait()
		err := db.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			if err := db.recordAll(ctx, tx, reqs); err != nil {
				return err
			}
			// The writer records them pending: settle all but the newest.
			var hi int64
			for i, r := range reqs {
				if start+i < n-20 {
					hi = r.ev.ID
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE events SET state = 'processed', processed_at = received_at
				WHERE id BETWEEN ? AND ?`, reqs[0].ev.ID, hi); err != nil {
				return err
			}
			if start > 0 {
				return nil
			}
			_, err := tx.ExecContext(ctx, `UPDATE events SET state = 'dead' WHERE id <= 5`)
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkLedgerScale builds ledgers of each size in HOOKLEDGER_SCALE
// (default 10000,100000) and reports what each recurring cost takes on
// it: bytes of file per event after a checkpoint, a /metrics scrape's
// queries (QueueDepth, OutboxStats), the per-minute alert check's
// (EventsInStates for dead and for waiting events), status's QueueStats,
// and intake (32 concurrent Records of new events: wall time per event and
// the writer's CPU per event). The costs should not grow with the size.
func BenchmarkLedgerScale(b *testing.B) {
	sizes := os.Getenv("HOOKLEDGER_SCALE")
	if sizes == "" {
		sizes = "10000,100000"
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("HOOKLEDGER_SCALE: %v", err)
		}
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) { benchScale(b, n) })
	}
}

func benchScale(b *testing.B, n int) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "scale.db")
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	buildLedger(b, db, n)
	built := time.Since(start)
	if _, err := db.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(FileSize(path))/float64(n), "file-bytes/event")
	logBtrees(b, db, n)
	b.ReportMetric(built.Seconds(), "build-s")
	costs := []struct {
		name string
		fn   func() error
	}{
		{"metrics-ms", func() error {
			if _, err := db.QueueDepth(ctx); err != nil {
				return err
			}
			_, _, err := db.OutboxStats(ctx)
			return err
		}},
		{"alertcheck-ms", func() error {
			if _, err := db.EventsInStates(ctx, []State{StateDead}, time.Time{}, 20); err != nil {
				return err
			}
			_, err := db.EventsInStates(ctx, []State{StatePending, StateFailed}, time.Now().Add(-time.Hour), 20)
			return err
		}},
		{"status-ms", func() error { _, err := db.QueueStats(ctx); return err }},
	}
	for _, c := range costs {
		const reps = 20
		t0 := time.Now()
		for range reps {
			if err := c.fn(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(t0).Microseconds())/1000/reps, c.name)
	}
	ws0 := db.WriterStats()
	b.ReportMetric(intake(b, db, 2000), "intake-us/event")
	ws := db.WriterStats()
	b.ReportMetric(float64((ws.WriterCPU-ws0.WriterCPU).Microseconds())/float64(ws.Events-ws0.Events), "writer-cpu-us/event")
}

// intake records n new events from 32 goroutines, as concurrent requests
// do, and returns the wall time per event.
func intake(b *testing.B, db *DB, n int) float64 {
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("testdata", "stripe_event.json"))
	if err != nil {
		b.Fatal(err)
	}
	tmpl := strings.TrimSuffix(string(raw), "\n")
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < n; i += 32 {
				id, body := stripeEvent(b, tmpl, 1<<40+i)
				ev := &Event{Source: "stripe", EventID: id, Type: "invoice.paid", Payload: body, CreatedAt: time.Now()}
				if _, err := db.Record(ctx, ev, &Receipt{Status: 200, BodySize: len(body)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(time.Since(t0).Microseconds()) / float64(n)
}

// logBtrees logs the bytes of file per event that each table and index
// takes (SQLite's dbstat: whole pages, used or not), largest first.
func logBtrees(b *testing.B, db *DB, n int) {
	rows, err := db.r.Query(`SELECT name, sum(pgsize) AS size FROM dbstat GROUP BY name ORDER BY size DESC LIMIT 8`)
	if err != nil {
		b.Fatal(err)
	}
	var parts []string
	err = scanRows(rows, func(rows *sql.Rows) error {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, size/int64(n)))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d events, file bytes per event by b-tree: %s", n, strings.Join(parts, ", "))
}
