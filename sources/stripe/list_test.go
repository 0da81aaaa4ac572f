package stripe_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/listertest"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

var mixedTypes = []string{"invoice.paid", "charge.refunded", "customer.subscription.updated", "payment_intent.succeeded", "customer.created"}

// fillDays adds n events spread over the days before now, cycling types.
func fillDays(srv *stripetest.Server, n, days int) []*stripetest.Event {
	evs := make([]*stripetest.Event, n)
	step := time.Duration(days) * 24 * time.Hour / time.Duration(n)
	for i := range n {
		evs[i] = srv.AddEvent(mixedTypes[i%len(mixedTypes)], now.Add(-time.Duration(i+1)*step), nil)
	}
	return evs
}

// listAll drains a listing, failing the test on a duplicate.
func listAll(t *testing.T, s *stripe.Source, w sources.Window) (map[string]sources.Listed, error) {
	t.Helper()
	got := map[string]sources.Listed{}
	for l, err := range sources.Flatten(s.List(testContext(t), w)) {
		if err != nil {
			return got, err
		}
		if _, dup := got[l.EventID]; dup {
			t.Fatalf("%s listed twice", l.EventID)
		}
		got[l.EventID] = l
	}
	return got, nil
}

func TestList(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	evs := fillDays(srv, 1500, 3)
	ep := srv.AddEndpoint("https://example.com/hook", "", "invoice.paid", "charge.refunded")
	w := sources.Window{Since: now.Add(-50*time.Hour - 500*time.Millisecond), Until: now.Add(-2*time.Hour + 300*time.Millisecond)}
	tests := []struct {
		name  string
		edit  func(*stripe.Config)
		types map[string]bool // nil: all
	}{
		{"all types, 4 workers", nil, nil},
		{"endpoint scope filters types", func(c *stripe.Config) { c.EndpointID = ep.ID }, map[string]bool{"invoice.paid": true, "charge.refunded": true}},
		{"one worker", func(c *stripe.Config) { c.Workers = 1 }, nil},
		{"more than 20 types: no filter", func(c *stripe.Config) {
			c.EventTypes = append(strings.Split("a b c d e f g h i j k l m n o p q r s t u", " "), "invoice.paid")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := listAll(t, newSource(t, srv, tt.edit), w)
			if err != nil {
				t.Fatalf("List() error = %v", err)
			}
			want := 0
			for _, ev := range evs {
				if !w.Contains(ev.Created) || (tt.types != nil && !tt.types[ev.Type]) {
					if _, ok := got[ev.ID]; ok {
						t.Errorf("%s (%s, %v) listed but out of window or scope", ev.ID, ev.Type, ev.Created)
					}
					continue
				}
				want++
				l, ok := got[ev.ID]
				if !ok {
					t.Errorf("%s missing from the listing", ev.ID)
					continue
				}
				checkListed(t, l, ev)
			}
			if len(got) != want || want == 0 {
				t.Errorf("listed %d events, want %d", len(got), want)
			}
		})
	}
}

func checkListed(t *testing.T, l sources.Listed, ev *stripetest.Event) {
	t.Helper()
	if l.Type != ev.Type || !l.CreatedAt.Equal(ev.Created) || l.Event == nil {
		t.Fatalf("Listed = %+v, want type %s created %v with an event", l, ev.Type, ev.Created)
	}
	e := l.Event
	if e.Source != "stripe" || e.EventID != ev.ID || e.Origin != ledger.OriginReconcile || e.ContentType != "application/json" {
		t.Errorf("Listed.Event = %s %s %s %s", e.Source, e.EventID, e.Origin, e.ContentType)
	}
	if string(e.Payload) != string(ev.JSON()) {
		t.Errorf("%s: payload differs from the API's JSON", ev.ID)
	}
}

func TestListEmptyWindow(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	fillDays(srv, 10, 1)
	got, err := listAll(t, newSource(t, srv, nil), sources.Window{Since: now, Until: now})
	if err != nil || len(got) != 0 || srv.Requests() != 0 {
		t.Errorf("empty window: %d events, %d requests, %v", len(got), srv.Requests(), err)
	}
}

// TestListIgnoresStrays puts a proxy in front of the fake that drops the
// created filter, as a misbehaving API might: nothing outside the window
// may be yielded, and nothing twice.
func TestListIgnoresStrays(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	evs := fillDays(srv, 300, 2)
	target, _ := url.Parse(srv.URL)
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		q := r.Out.URL.Query()
		for k := range q {
			if strings.HasPrefix(k, "created") {
				q.Del(k)
			}
		}
		r.Out.URL.RawQuery = q.Encode()
	}}
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	s := newSource(t, srv, func(c *stripe.Config) { c.APIBase = ps.URL })
	w := sources.Window{Since: now.Add(-30 * time.Hour), Until: now.Add(-6 * time.Hour)}
	got, err := listAll(t, s, w)
	if err != nil {
		t.Fatalf("List() error = %v", err)
	}
	want := 0
	for _, ev := range evs {
		if w.Contains(ev.Created) {
			want++
		}
	}
	if len(got) != want {
		t.Errorf("listed %d events, want %d", len(got), want)
	}
	for _, l := range got {
		if !w.Contains(l.CreatedAt) {
			t.Errorf("%s at %v outside the window", l.EventID, l.CreatedAt)
		}
	}
}

// TestListBounded stops reading after the first event and checks the
// workers did not run ahead through the whole window.
func TestListBounded(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	srv.Generate(20_000, now.Add(-10*24*time.Hour), now, "invoice.paid")
	s := newSource(t, srv, func(c *stripe.Config) { c.Workers = 4 })
	w := sources.Window{Since: now.Add(-10 * 24 * time.Hour), Until: now}
	n := 0
	for _, err := range sources.Flatten(s.List(testContext(t), w)) {
		if err != nil {
			t.Fatalf("List() error = %v", err)
		}
		if n++; n == 1 {
			waitStable(srv)
			break
		}
	}
	// 4 workers each hold at most one page in hand and one queued, plus
	// the page being yielded (200 pages exist); nothing is held back.
	if got := srv.Requests(); got > 4*2+1 {
		t.Errorf("%d page requests after reading one event, want at most 9", got)
	}
}

// waitStable waits until the fake's request count stops moving.
func waitStable(srv *stripetest.Server) {
	last := int64(-1)
	for range 40 {
		time.Sleep(50 * time.Millisecond)
		if n := srv.Requests(); n == last {
			return
		} else {
			last = n
		}
	}
}

// BenchmarkList lists 20,000 events (2.6 KB each) over 10 days from the
// fake, at an unlimited request rate; events/s is the figure of interest.
func BenchmarkList(b *testing.B) {
	srv := stripetest.NewServer()
	defer srv.Close()
	srv.Generate(20_000, now.Add(-10*24*time.Hour), now, "invoice.paid", "charge.refunded")
	s, err := stripe.New(stripe.Config{APIKey: srv.APIKey(), APIBase: srv.URL, RPS: 1e6})
	if err != nil {
		b.Fatal(err)
	}
	w := sources.Window{Since: now.Add(-10 * 24 * time.Hour), Until: now}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, err := range sources.Flatten(s.List(b.Context(), w)) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// TestListInterruptedClaimsNothingFalse fails the fake after some pages
// while four workers interleave their slices (pages take random time), and
// checks every progress mark when it is yielded: every event created in
// the union of the marks so far must already have been yielded.
func TestListInterruptedClaimsNothingFalse(t *testing.T) {
	w := sources.Window{Since: now.Add(-72 * time.Hour), Until: now}
	for _, failAfter := range []int64{1, 2, 3, 5, 8, 13, 21} {
		srv := stripetest.NewServer()
		evs := fillDays(srv, 3000, 3)
		srv.SetFaultFunc(func(n int64, r *http.Request) stripetest.Fault {
			if n > failAfter {
				return stripetest.Fault{Status: http.StatusBadRequest}
			}
			return stripetest.Fault{Latency: time.Duration(n%4) * 5 * time.Millisecond}
		})
		truth := map[string]time.Time{}
		for _, ev := range evs {
			truth[ev.ID] = ev.Created
		}
		got := listertest.Drain(newSource(t, srv, nil).List(testContext(t), w), w, truth)
		srv.Close()
		if got.Overclaim != nil {
			t.Fatalf("fail after %d: %v", failAfter, got.Overclaim)
		}
		if got.Err == nil {
			t.Fatalf("fail after %d: List() ended without an error", failAfter)
		}
		if failAfter >= 8 && len(got.Coverage.Spans()) == 0 {
			t.Errorf("fail after %d: no progress marked after %d pages", failAfter, failAfter)
		}
	}
}
