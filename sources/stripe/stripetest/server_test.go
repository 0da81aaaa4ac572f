package stripetest_test

import (
	"errors"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/event"

	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// newClient returns stripe-go's own client pointed at the fake.
func newClient(t *testing.T, srv *stripetest.Server, key string) *client.API {
	t.Helper()
	backend := stripego.GetBackendWithConfig(stripego.APIBackend, &stripego.BackendConfig{
		URL:               stripego.String(srv.URL),
		HTTPClient:        &http.Client{Timeout: 10 * time.Second},
		MaxNetworkRetries: stripego.Int64(0),
		LeveledLogger:     &stripego.LeveledLogger{Level: stripego.LevelNull},
	})
	return client.New(key, &stripego.Backends{API: backend, Connect: backend, Uploads: backend})
}

// fill adds n events one minute apart in a scrambled insertion order, so
// the fake must sort, cycling through types.
func fill(srv *stripetest.Server, n int, types ...string) []*stripetest.Event {
	evs := make([]*stripetest.Event, 0, n)
	for i := range n {
		j := (i * 7919) % n // a permutation when n is not a multiple of 7919
		evs = append(evs, srv.AddEvent(types[j%len(types)], t0.Add(time.Duration(j)*time.Minute), nil))
	}
	return evs
}

func collect(t *testing.T, it *event.Iter) []*stripego.Event {
	t.Helper()
	var out []*stripego.Event
	for it.Next() {
		out = append(out, it.Event())
	}
	if err := it.Err(); err != nil {
		t.Fatalf("list: %v", err)
	}
	return out
}

func TestListWithStripeGo(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	fill(srv, 250, "invoice.paid", "charge.refunded", "customer.subscription.updated", "payment_intent.succeeded", "customer.created")
	sc := newClient(t, srv, srv.APIKey())
	unix := func(min int) int64 { return t0.Add(time.Duration(min) * time.Minute).Unix() }

	tests := []struct {
		name   string
		params func(p *stripego.EventListParams)
		want   int
	}{
		{"all", func(p *stripego.EventListParams) {}, 250},
		{"gte lt", func(p *stripego.EventListParams) {
			p.CreatedRange = &stripego.RangeQueryParams{GreaterThanOrEqual: unix(10), LesserThan: unix(130)}
		}, 120},
		{"gt lte", func(p *stripego.EventListParams) {
			p.CreatedRange = &stripego.RangeQueryParams{GreaterThan: unix(10), LesserThanOrEqual: unix(130)}
		}, 120},
		{"exact", func(p *stripego.EventListParams) { p.Created = stripego.Int64(unix(42)) }, 1},
		{"types", func(p *stripego.EventListParams) {
			p.Types = stripego.StringSlice([]string{"invoice.paid", "charge.refunded"})
		}, 100},
		{"type wildcard", func(p *stripego.EventListParams) { p.Type = stripego.String("customer.*") }, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &stripego.EventListParams{}
			p.Limit = stripego.Int64(100)
			tt.params(p)
			got := collect(t, sc.Events.List(p))
			if len(got) != tt.want {
				t.Fatalf("listed %d events, want %d", len(got), tt.want)
			}
			seen := map[string]bool{}
			for i, ev := range got {
				if seen[ev.ID] {
					t.Fatalf("event %s listed twice", ev.ID)
				}
				seen[ev.ID] = true
				if i > 0 && ev.Created > got[i-1].Created {
					t.Fatalf("not newest first at %d: %d after %d", i, ev.Created, got[i-1].Created)
				}
			}
		})
	}
}

func TestListEndingBefore(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	evs := fill(srv, 30, "invoice.paid")
	sc := newClient(t, srv, srv.APIKey())
	oldest := evs[0] // j=0: created at t0
	p := &stripego.EventListParams{}
	p.Limit = stripego.Int64(7)
	p.EndingBefore = stripego.String(oldest.ID)
	got := collect(t, sc.Events.List(p))
	if len(got) != 29 {
		t.Fatalf("listed %d events before the oldest, want 29", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Created < got[i-1].Created { // stripe-go walks backwards: oldest first
			t.Fatalf("ending_before not oldest first at %d", i)
		}
	}
}

func TestDefaultLimitAndHasMore(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	fill(srv, 15, "invoice.paid")
	sc := newClient(t, srv, srv.APIKey())
	p := &stripego.EventListParams{}
	p.Single = true
	it := sc.Events.List(p)
	got := collect(t, it)
	if len(got) != 10 || !it.EventList().HasMore {
		t.Fatalf("first page: %d events, has_more %v; want 10, true", len(got), it.EventList().HasMore)
	}
}

func TestGetEvent(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	ev := srv.AddEvent("payment_intent.succeeded", t0, nil)
	sc := newClient(t, srv, srv.APIKey())
	got, err := sc.Events.Get(ev.ID, nil)
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	if got.ID != ev.ID || string(got.Type) != ev.Type || got.Created != t0.Unix() {
		t.Errorf("Get() = %s %s %d, want %s %s %d", got.ID, got.Type, got.Created, ev.ID, ev.Type, t0.Unix())
	}
	if string(got.LastResponse.RawJSON) != string(ev.JSON()) {
		t.Errorf("GET body differs from Event.JSON()")
	}
	_, err = sc.Events.Get("evt_nope", nil)
	var se *stripego.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 404 || se.Code != stripego.ErrorCodeResourceMissing {
		t.Errorf("Get(unknown) error = %v, want 404 resource_missing", err)
	}
}

func TestUnlistedEvent(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	srv.AddEvent("invoice.paid", t0, nil)
	forged := srv.AddUnlistedEvent("invoice.paid", t0, nil)
	sc := newClient(t, srv, srv.APIKey())
	if got := collect(t, sc.Events.List(&stripego.EventListParams{})); len(got) != 1 || got[0].ID == forged.ID {
		t.Errorf("list shows %d events (forged listed?), want 1", len(got))
	}
	if _, err := sc.Events.Get(forged.ID, nil); err == nil {
		t.Errorf("Get(unlisted) succeeded, want 404")
	}
}

func TestAuth(t *testing.T) {
	srv := stripetest.NewServer(stripetest.WithAPIKey("sk_test_right_key_123456"))
	defer srv.Close()
	ev := srv.AddEvent("invoice.paid", t0, nil)
	if _, err := newClient(t, srv, "sk_test_right_key_123456").Events.Get(ev.ID, nil); err != nil {
		t.Fatalf("right key: %v", err)
	}
	for _, key := range []string{"sk_test_wrong_key_654321", ""} {
		_, err := newClient(t, srv, key).Events.Get(ev.ID, nil)
		var se *stripego.Error
		if !errors.As(err, &se) || se.HTTPStatusCode != 401 {
			t.Fatalf("key %q: error = %v, want 401", key, err)
		}
		if key != "" && strings.Contains(se.Msg, key) {
			t.Errorf("error message repeats the key: %s", se.Msg)
		}
	}
}

func TestWebhookEndpoint(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	ep := srv.AddEndpoint("http://127.0.0.1:1/webhooks/stripe", "", "invoice.paid", "charge.refunded")
	sc := newClient(t, srv, srv.APIKey())
	got, err := sc.WebhookEndpoints.Get(ep.ID, nil)
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	if !slices.Equal(got.EnabledEvents, []string{"invoice.paid", "charge.refunded"}) || got.URL != ep.URL {
		t.Errorf("endpoint = %v %s, want %v %s", got.EnabledEvents, got.URL, ep.EnabledEvents, ep.URL)
	}
	if got.Secret != "" {
		t.Errorf("retrieved endpoint shows its secret")
	}
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Errorf("generated secret %q lacks whsec_", ep.Secret)
	}
	if _, err := sc.WebhookEndpoints.Get("we_nope", nil); err == nil {
		t.Errorf("Get(unknown endpoint) succeeded")
	}
}

func TestBadParams(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	for _, q := range []string{"limit=0", "limit=101", "bogus=1", "created[gte]=x", "type=a&types[0]=b", "types=", "starting_after=evt_nope"} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/events?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+srv.APIKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 4 || !strings.Contains(string(body), `"error"`) {
			t.Errorf("%s: status %d body %s, want a 4xx Stripe error", q, resp.StatusCode, body)
		}
	}
}

func TestFaults(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	fill(srv, 20, "invoice.paid")
	srv.FailNext(1, http.StatusTooManyRequests, 2*time.Second)
	srv.FailNext(1, http.StatusInternalServerError, 0)
	srv.CutNext(1)
	get := func() (*http.Response, error) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/events?limit=20", nil)
		req.Header.Set("Authorization", "Bearer "+srv.APIKey())
		return http.DefaultClient.Do(req)
	}
	resp, err := get()
	if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("first request: %v %v, want 429 with Retry-After 2", resp, err)
	}
	resp.Body.Close()
	resp, err = get()
	if err != nil || resp.StatusCode != 500 {
		t.Fatalf("second request: %v %v, want 500", resp, err)
	}
	resp.Body.Close()
	resp, err = get()
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatalf("cut request read completely, want an error")
	}
	resp, err = get()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("fourth request: %v %v, want 200", resp, err)
	}
	resp.Body.Close()
	if srv.Requests() != 4 {
		t.Errorf("Requests() = %d, want 4", srv.Requests())
	}
}

// TestMemory200k holds 200,000 events and checks they cost a few dozen
// bytes each, not their 2.6 KB of JSON.
func TestMemory200k(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 200,000 events")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	srv := stripetest.NewServer()
	defer srv.Close()
	srv.Generate(200_000, t0, t0.Add(30*24*time.Hour), "invoice.paid", "charge.refunded")
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > 40<<20 {
		t.Errorf("200k events take %d MB of heap, want under 40 MB", grown>>20)
	}
	if srv.Len() != 200_000 {
		t.Errorf("Len() = %d, want 200000", srv.Len())
	}
	runtime.KeepAlive(srv)
}
