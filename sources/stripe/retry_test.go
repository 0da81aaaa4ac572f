package stripe_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// shortWindow fits in one slice and one page, so each page is one request.
var shortWindow = sources.Window{Since: now.Add(-30 * time.Minute), Until: now}

func TestListRetries(t *testing.T) {
	tests := []struct {
		name   string
		inject func(*stripetest.Server)
		extra  int64 // requests beyond the one page
	}{
		{"429 with Retry-After", func(s *stripetest.Server) { s.FailNext(3, 429, 20*time.Millisecond) }, 3},
		{"429 without Retry-After", func(s *stripetest.Server) { s.FailNext(2, 429, 0) }, 2},
		{"500s", func(s *stripetest.Server) { s.FailNext(3, 500, 0) }, 3},
		{"503 then 502", func(s *stripetest.Server) {
			s.InjectFaults(stripetest.Fault{Status: 503}, stripetest.Fault{Status: 502, RetryAfter: 10 * time.Millisecond})
		}, 2},
		{"connection cut mid-page", func(s *stripetest.Server) { s.CutNext(2) }, 2},
		{"slow page", func(s *stripetest.Server) { s.InjectFaults(stripetest.Fault{Latency: 50 * time.Millisecond}) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := stripetest.NewServer()
			defer srv.Close()
			for i := range 40 {
				srv.AddEvent("invoice.paid", now.Add(-time.Duration(i+1)*time.Second), nil)
			}
			tt.inject(srv)
			got, err := listAll(t, newSource(t, srv, nil), shortWindow)
			if err != nil || len(got) != 40 {
				t.Fatalf("List() = %d events, %v; want 40, nil", len(got), err)
			}
			if srv.Requests() != 1+tt.extra {
				t.Errorf("requests = %d, want %d", srv.Requests(), 1+tt.extra)
			}
		})
	}
}

func TestListRetriesExhausted(t *testing.T) {
	srv := stripetest.NewServer(stripetest.WithAPIKey("sk_test_do_not_leak_me_42"))
	defer srv.Close()
	srv.Generate(500, now.Add(-20*time.Minute), now)
	// The first page succeeds, every later request fails.
	srv.SetFaultFunc(func(n int64, r *http.Request) stripetest.Fault {
		if n > 1 {
			return stripetest.Fault{Status: 500}
		}
		return stripetest.Fault{}
	})
	s := newSource(t, srv, func(c *stripe.Config) { c.MaxRetries = 2 })
	n, last := 0, error(nil)
	for _, err := range sources.Flatten(s.List(testContext(t), shortWindow)) {
		if err != nil {
			last = err
			continue
		}
		if last != nil {
			t.Fatalf("yielded an event after the error")
		}
		n++
	}
	if last == nil || n != 100 {
		t.Fatalf("List() = %d events then %v; want the first page then an error", n, last)
	}
	var se *stripego.Error
	if !errors.As(last, &se) || se.HTTPStatusCode != 500 {
		t.Errorf("error = %v, want a stripe 500", last)
	}
	if strings.Contains(last.Error(), srv.APIKey()) {
		t.Errorf("error leaks the API key: %v", last)
	}
	if srv.Requests() != 1+3 {
		t.Errorf("requests = %d, want 4 (a page, then 1 + 2 retries)", srv.Requests())
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	srv.FailNext(5, 429, time.Hour)
	_, err := listAll(t, newSource(t, srv, nil), shortWindow)
	if err == nil || srv.Requests() != 1 {
		t.Errorf("List() = %v after %d requests; want an error after 1 (no hour-long wait)", err, srv.Requests())
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	srv.AddEvent("invoice.paid", now.Add(-time.Minute), nil)
	srv.FailNext(1, 429, 20*time.Second)
	s := newSource(t, srv, func(c *stripe.Config) { c.MaxRetryDelay = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var got error
	for _, err := range sources.Flatten(s.List(ctx, shortWindow)) {
		got = err
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("List() error = %v, want context.DeadlineExceeded", got)
	}
}

func TestFetchRetries(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	ev := srv.AddEvent("charge.refunded", now, nil)
	srv.FailNext(1, 500, 0)
	srv.CutNext(1)
	got, err := newSource(t, srv, nil).Fetch(testContext(t), sources.Listed{EventID: ev.ID})
	if err != nil || string(got.Payload) != string(ev.JSON()) {
		t.Fatalf("Fetch() = %v, %v", got, err)
	}
	if srv.Requests() != 3 {
		t.Errorf("requests = %d, want 3", srv.Requests())
	}
}
