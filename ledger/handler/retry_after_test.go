package handler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Tue, 01 Dec 2026 12:00:30 UTC", 0, false}, // not an HTTP date (GMT only)
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	} {
		got, ok := parseRetryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

// A downstream answering 429 with Retry-After: 2 gets no attempt before
// the 2 seconds it asked for, although the processor's own backoff would
// retry within milliseconds. Issue 10, defect 3.
func TestRetryAfterIsHonoured(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	evs := record(t, db, 3)
	var mu sync.Mutex
	seen := map[string][]time.Time{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		seen[key] = append(seen[key], time.Now())
		n := len(seen[key])
		mu.Unlock()
		switch {
		case n == 1:
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
		case n == 2 && key == evs[2].EventID:
			w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	p := newProcessor(t, db, srv.URL, ledger.ProcessorConfig{Workers: 2, Poll: 10 * time.Millisecond})
	runUntil(t, db, p, func(qs *ledger.QueueStats) bool { return qs.Depth["stripe"][ledger.StateProcessed] == 3 })
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range evs {
		times := seen[ev.EventID]
		want := 2
		if ev == evs[2] {
			want = 3
		}
		if len(times) != want {
			t.Errorf("%s: %d requests, want %d", ev.EventID, len(times), want)
			continue
		}
		// Asked at the first answer: 2 s. The HTTP date has a resolution of
		// a second, so the second ask is only sure to be 1 s.
		if gap := times[1].Sub(times[0]); gap < 2*time.Second {
			t.Errorf("%s: retried %s after a 429 with Retry-After: 2", ev.EventID, gap)
		}
		if want == 3 {
			if gap := times[2].Sub(times[1]); gap < time.Second {
				t.Errorf("%s: retried %s after a 503 with a Retry-After date 2 s ahead", ev.EventID, gap)
			}
		}
	}
}

func TestExecTempFailAsksForDelay(t *testing.T) {
	for _, tc := range []struct {
		command string
		after   time.Duration
		ok      bool
	}{
		{`echo 30; echo "busy" >&2; exit 75`, 30 * time.Second, true},
		{`exit 75`, 0, false}, // no delay given: the processor's backoff
		{`echo 30; exit 1`, 0, false},
	} {
		e, err := NewExec(ExecConfig{Command: tc.command})
		if err != nil {
			t.Fatal(err)
		}
		err = e.Handle(context.Background(), testDelivery())
		after, ok := ledger.RetryDelay(err)
		if err == nil || ledger.IsPermanent(err) || after != tc.after || ok != tc.ok {
			t.Errorf("Handle(%q) = %v (delay %s, %v); want retryable, delay %s, %v", tc.command, err, after, ok, tc.after, tc.ok)
		}
	}
}
