package stripe_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// TestListBurstInOneSecondBoundedMemory lists a window in which 5,000
// events share one second of an older slice while the newest slice is
// slow. Nothing may be held back waiting for the newest slice: at every
// event the consumer receives, the events the fake has served but the
// consumer not yet received stay within a few pages per worker.
func TestListBurstInOneSecondBoundedMemory(t *testing.T) {
	const burst, workers = 5_000, 2
	srv := stripetest.NewServer()
	defer srv.Close()
	w := sources.Window{Since: now.Add(-8 * time.Hour), Until: now}
	for i := range 8 {
		srv.AddEvent("invoice.paid", now.Add(-time.Duration(i)*time.Hour-30*time.Minute), nil)
	}
	second := now.Add(-90 * time.Minute) // in the second-newest slice
	for range burst {
		srv.AddEvent("invoice.paid", second, nil)
	}
	newest := strconv.FormatInt(now.Unix(), 10)
	srv.SetFaultFunc(func(_ int64, r *http.Request) stripetest.Fault {
		if r.URL.Query().Get("created[lt]") == newest {
			return stripetest.Fault{Latency: 2 * time.Second}
		}
		return stripetest.Fault{}
	})
	served := &servedCounter{next: http.DefaultTransport}
	s := newSource(t, srv, func(c *stripe.Config) {
		c.Workers = workers
		c.HTTPClient = &http.Client{Transport: served, Timeout: 20 * time.Second}
	})
	// Each worker holds a page in hand and one queued, the consumer one.
	bound := int64((2*workers + 1) * stripe.PageSize)
	received := int64(0)
	for _, err := range sources.Flatten(s.List(testContext(t), w)) {
		if err != nil {
			t.Fatalf("List() error = %v", err)
		}
		received++
		if inFlight := served.n.Load() - received; inFlight > bound {
			t.Fatalf("after %d events received, %d served and not yet yielded; want at most %d", received, inFlight, bound)
		}
	}
	if received != burst+8 {
		t.Errorf("listed %d events, want %d", received, burst+8)
	}
}

// servedCounter counts the events of every list page that reaches the
// client.
type servedCounter struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *servedCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &page) == nil {
		c.n.Add(int64(len(page.Data)))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
