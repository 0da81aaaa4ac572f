package reconcile_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// newStripe returns the real Stripe source talking to fake, with a rate
// budget of rps requests per second (0: unlimited for benchmarks).
func newStripe(tb testing.TB, fake *stripetest.Server, rps float64) *stripe.Source {
	tb.Helper()
	if rps == 0 {
		rps = 1e6
	}
	src, err := stripe.New(stripe.Config{APIKey: stripetest.DefaultAPIKey, APIBase: fake.URL, RPS: rps,
		EventTypes: []string{"invoice.paid", "customer.created"}})
	if err != nil {
		tb.Fatal(err)
	}
	return src
}

// listFixture is a fake holding benchEvents events of the last two days and
// a ledger that already has all of them: the steady state of reconcile.
type listFixture struct {
	fake *stripetest.Server
	db   ledgertest.Backend
	src  *stripe.Source
	w    sources.Window
}

const benchEvents = 20_000

var (
	fixtureOnce sync.Once
	fixture     *listFixture
	fixtureErr  error
)

func benchFixture(b *testing.B) *listFixture {
	fixtureOnce.Do(func() {
		fake := stripetest.NewServer()
		until := time.Now().UTC()
		w := sources.Window{Since: until.Add(-48 * time.Hour), Until: until}
		fake.Generate(benchEvents, w.Since, w.Until, "invoice.paid", "customer.created")
		w.Since = w.Since.Add(-time.Minute) // Stripe's created is whole seconds
		dir, err := os.MkdirTemp("", "reconcile-bench")
		if err != nil {
			fixtureErr = err
			return
		}
		db, err := ledger.Open(context.Background(), dir+"/ledger.db")
		if err != nil {
			fixtureErr = err
			return
		}
		if _, err := db.SetMode(context.Background(), ledger.ModeLedgerOnly); err != nil {
			fixtureErr = err
			return
		}
		fixture = &listFixture{fake: fake, db: db, src: newStripe(b, fake, 0), w: w}
		// One backfill run fills the ledger.
		rep, err := reconcile.New(db, reconcile.Options{Concurrency: 64}, nil, nil).Run(context.Background(), fixture.src, w)
		if err == nil && rep.Backfilled != benchEvents {
			err = fmt.Errorf("fixture backfilled %d events, want %d", rep.Backfilled, benchEvents)
		}
		fixtureErr = err
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixture
}

// BenchmarkReconcileList measures events listed from the fake Stripe API
// (no latency, no rate limit) and diffed against a ledger that has them all.
//
//	go test -run '^$' -bench BenchmarkReconcileList -benchtime 5x ./reconcile/
func BenchmarkReconcileList(b *testing.B) {
	f := benchFixture(b)
	r := reconcile.New(f.db, reconcile.Options{DryRun: true}, nil, nil)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		rep, err := r.Run(context.Background(), f.src, f.w)
		if err != nil || rep.Expected != benchEvents || rep.Missing != 0 {
			b.Fatalf("Run() = expected %d, missing %d, %v", rep.Expected, rep.Missing, err)
		}
	}
	b.ReportMetric(float64(benchEvents*b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkReconcile30Days is the wall time of a 30-day window at the
// default rate budget (STRIPE_API_RPS 20, 4 workers) against a fake that
// takes 200 ms per page. It takes about a minute, so it only runs when
// HOOKLEDGER_BENCH_30D is set to the number of events (e.g. 100000):
//
//	HOOKLEDGER_BENCH_30D=100000 go test -run '^$' -bench BenchmarkReconcile30Days -benchtime 1x ./reconcile/
func BenchmarkReconcile30Days(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("HOOKLEDGER_BENCH_30D"))
	if n <= 0 {
		b.Skip("set HOOKLEDGER_BENCH_30D=N (events in 30 days) to run")
	}
	fake := stripetest.NewServer(stripetest.WithLatency(200 * time.Millisecond))
	defer fake.Close()
	until := time.Now().UTC()
	w := sources.Window{Since: until.Add(-30*24*time.Hour + time.Hour), Until: until}
	fake.Generate(n, w.Since, w.Until, "invoice.paid")
	w.Since = w.Since.Add(-time.Minute) // Stripe's created is whole seconds
	db := ledgertest.OpenSQLite(b)
	src := newStripe(b, fake, stripe.DefaultRPS)
	r := reconcile.New(db, reconcile.Options{DryRun: true}, nil, nil)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rep, err := r.Run(context.Background(), src, w)
		if err != nil || rep.Expected != n {
			b.Fatalf("Run() = expected %d, %v", rep.Expected, err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/30d")
		b.ReportMetric(float64(fake.Requests()), "requests")
	}
}

// TestReconcileMemoryFlat lists 10,000 and then 200,000 events from the
// fake in a child process each and compares their peak RSS (VmHWM): the
// listing is diffed in batches against a temp table, so memory must not
// grow with the window.
func TestReconcileMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("lists 210,000 events")
	}
	if raceEnabled {
		// .ci/run runs this test again without -race.
		t.Skip("the race detector's shadow memory makes RSS meaningless")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status")
	}
	const total = 200_000
	fake := stripetest.NewServer()
	defer fake.Close()
	until := time.Now().UTC().Truncate(time.Second)
	step := 10 * time.Second // 200,000 events span 23 days, inside Stripe's 30
	fake.Generate(total, until.Add(-total*step), until, "invoice.paid")
	small := memChild(t, fake.URL, until.Add(-10_000*step), until, 10_000)
	large := memChild(t, fake.URL, until.Add(-total*step), until, total)
	t.Logf("peak RSS: 10,000 events %d kB, 200,000 events %d kB (ratio %.2f)", small, large, float64(large)/float64(small))
	if float64(large) > 1.5*float64(small) {
		t.Errorf("peak RSS for 200,000 events = %d kB, more than 1.5x the %d kB for 10,000", large, small)
	}
}

// memChild runs TestReconcileMemoryChild in a new process and returns its
// VmHWM in kB.
func memChild(t *testing.T, url string, since, until time.Time, want int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestReconcileMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), "HOOKLEDGER_MEM_CHILD="+url,
		"HOOKLEDGER_MEM_WINDOW="+since.Format(time.RFC3339)+","+until.Format(time.RFC3339),
		"HOOKLEDGER_MEM_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var expected, hwm int
	for line := range strings.Lines(string(out)) {
		fmt.Sscanf(strings.TrimSpace(line), "MEMCHILD expected=%d vmhwm_kb=%d", &expected, &hwm)
	}
	if expected != want || hwm == 0 {
		t.Fatalf("child listed %d events (want %d), VmHWM %d kB\n%s", expected, want, hwm, out)
	}
	return hwm
}

// TestReconcileMemoryChild is the child half of TestReconcileMemoryFlat: a
// dry run over the window against an empty ledger.
func TestReconcileMemoryChild(t *testing.T) {
	url := os.Getenv("HOOKLEDGER_MEM_CHILD")
	if url == "" {
		t.Skip("run by TestReconcileMemoryFlat")
	}
	since, until, _ := strings.Cut(os.Getenv("HOOKLEDGER_MEM_WINDOW"), ",")
	w := sources.Window{}
	w.Since, _ = time.Parse(time.RFC3339, since)
	w.Until, _ = time.Parse(time.RFC3339, until)
	db, err := ledger.Open(context.Background(), os.Getenv("HOOKLEDGER_MEM_DIR")+"/ledger.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src, err := stripe.New(stripe.Config{APIKey: stripetest.DefaultAPIKey, APIBase: url, RPS: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reconcile.New(db, reconcile.Options{DryRun: true}, nil, nil).Run(context.Background(), src, w)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("MEMCHILD expected=%d vmhwm_kb=%d\n", rep.Expected, vmHWM(t))
}

func vmHWM(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}

// BenchmarkStripeListOnly is BenchmarkReconcileList without the diff: the
// provider listing alone, to tell the two costs apart.
//
//	go test -run '^$' -bench 'BenchmarkStripeListOnly|BenchmarkReconcileList' -benchtime 5x ./reconcile/
func BenchmarkStripeListOnly(b *testing.B) {
	f := benchFixture(b)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		n := 0
		for _, err := range sources.Flatten(f.src.List(context.Background(), f.w)) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchEvents {
			b.Fatalf("listed %d events, want %d", n, benchEvents)
		}
	}
	b.ReportMetric(float64(benchEvents*b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkReconcileDiff is BenchmarkReconcileList with the listing served
// from memory: the cost of the diff against the ledger alone.
func BenchmarkReconcileDiff(b *testing.B) {
	f := benchFixture(b)
	var listed []sources.Listed
	for l, err := range sources.Flatten(f.src.List(context.Background(), f.w)) {
		if err != nil {
			b.Fatal(err)
		}
		l.Event = nil
		listed = append(listed, l)
	}
	src := newSliceLister("stripe", listed)
	r := reconcile.New(f.db, reconcile.Options{DryRun: true}, nil, nil)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		rep, err := r.Run(context.Background(), src, f.w)
		if err != nil || rep.Expected != benchEvents || rep.Missing != 0 {
			b.Fatalf("Run() = expected %d, missing %d, %v", rep.Expected, rep.Missing, err)
		}
	}
	b.ReportMetric(float64(benchEvents*b.N)/time.Since(start).Seconds(), "events/s")
}
