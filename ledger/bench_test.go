package ledger_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// benchPayload is a 2.6 KB stand-in for a Stripe event body.
var benchPayload = append([]byte(`{"object":"event","type":"invoice.paid","data":{"object":{"note":"`),
	append(bytes.Repeat([]byte("x"), 2600-80), `"}}}`...)...)

// cpuTime returns the CPU time (user and system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-µs/op metric: on a machine shared with other work,
// CPU per op moves far less than wall time per op.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// recordOne records a fresh event with its receipt, as the receiver does.
func recordOne(b *testing.B, db *ledger.DB, seq int64) {
	ev := &ledger.Event{Source: "stripe", EventID: fmt.Sprintf("evt_bench%014d", seq), Type: "invoice.paid",
		Payload: benchPayload, CreatedAt: time.Unix(1700000000, 0)}
	rc := &ledger.Receipt{Status: 200, RemoteAddr: "127.0.0.1:1", BodySize: len(benchPayload)}
	isNew, err := db.Record(context.Background(), ev, rc)
	if err != nil || !isNew {
		b.Fatalf("Record() = %v, %v, want true, nil", isNew, err)
	}
}

// BenchmarkRecord is one writer: every Record is its own transaction and
// fsync, so this is the ledger's latency floor.
func BenchmarkRecord(b *testing.B) {
	db := ledgertest.OpenSQLite(b)
	b.SetBytes(int64(len(benchPayload)))
	b.ReportAllocs()
	var seq int64
	defer reportCPU(b)()
	for b.Loop() {
		seq++
		recordOne(b, db, seq)
	}
}

// BenchmarkRecordParallel is 32 concurrent writers (the receiver at 32
// connections): the group commit shares each fsync among them.
func BenchmarkRecordParallel(b *testing.B) {
	db := ledgertest.OpenSQLite(b)
	b.SetBytes(int64(len(benchPayload)))
	b.ReportAllocs()
	b.SetParallelism(max(32/runtime.GOMAXPROCS(0), 1))
	var seq atomic.Int64
	defer reportCPU(b)()
	defer reportWriter(b, db)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			recordOne(b, db, seq.Add(1))
		}
	})
}

// reportWriter adds the writer goroutine's own CPU per new event and the
// events per commit (WriterStats): what the single writer, the ingest
// bottleneck, spends, apart from the callers' work.
func reportWriter(b *testing.B, db *ledger.DB) func() {
	start := db.WriterStats()
	return func() {
		ws := db.WriterStats()
		events := float64(max(ws.Events-start.Events, 1))
		b.ReportMetric(float64((ws.WriterCPU-start.WriterCPU).Microseconds())/events, "writer-cpu-µs/event")
		b.ReportMetric(events/float64(max(ws.Commits-start.Commits, 1)), "events/commit")
	}
}

// BenchmarkRecordDuplicate is the duplicate path: the event is in the
// ledger, so only a receipt is written.
func BenchmarkRecordDuplicate(b *testing.B) {
	db := ledgertest.OpenSQLite(b)
	recordOne(b, db, 0)
	b.ReportAllocs()
	b.SetParallelism(max(32/runtime.GOMAXPROCS(0), 1))
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ev := &ledger.Event{Source: "stripe", EventID: fmt.Sprintf("evt_bench%014d", 0), Type: "invoice.paid",
				Payload: benchPayload, CreatedAt: time.Unix(1700000000, 0)}
			if isNew, err := db.Record(context.Background(), ev, &ledger.Receipt{Status: 200}); err != nil || isNew {
				b.Fatalf("Record(duplicate) = %v, %v, want false, nil", isNew, err)
			}
		}
	})
}
