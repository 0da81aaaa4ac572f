package stripe_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// newSource returns a Source talking to srv with fast retries.
func newSource(t *testing.T, srv *stripetest.Server, edit func(*stripe.Config)) *stripe.Source {
	t.Helper()
	cfg := stripe.Config{
		WebhookSecrets: []string{secret, rotated},
		APIKey:         srv.APIKey(),
		APIBase:        srv.URL,
		RPS:            1000,
		RetryBase:      time.Millisecond,
		MaxRetryDelay:  2 * time.Second,
		HTTPClient:     &http.Client{Timeout: 20 * time.Second},
		Now:            func() time.Time { return now },
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := stripe.New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNew(t *testing.T) {
	if _, err := stripe.New(stripe.Config{}); err == nil {
		t.Errorf("New(empty) succeeded, want an error")
	}
	s, err := stripe.New(stripe.Config{WebhookSecrets: []string{secret}})
	if err != nil || s.Name() != "stripe" || s.Retention() != 30*24*time.Hour {
		t.Errorf("New() = %v, %v", s, err)
	}
}

func TestSourceVerify(t *testing.T) {
	srv := stripetest.NewServer(stripetest.WithAccount("acct_1Conn"))
	defer srv.Close()
	ev := srv.AddEvent("charge.refunded", now.Add(-time.Hour), nil)
	payload := ev.JSON()
	s := newSource(t, srv, nil)

	h := http.Header{}
	h.Set("Stripe-Signature", stripetest.Sign(payload, rotated, now))
	got, err := s.Verify(h, payload)
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	want := ledger.Event{Source: "stripe", EventID: ev.ID, Type: "charge.refunded", Account: "acct_1Conn",
		ContentType: "application/json", CreatedAt: ev.Created, Origin: ledger.OriginWebhook}
	if got.Source != want.Source || got.EventID != want.EventID || got.Type != want.Type || got.Account != want.Account ||
		got.ContentType != want.ContentType || !got.CreatedAt.Equal(want.CreatedAt) || got.Origin != want.Origin {
		t.Errorf("Verify() = %+v, want %+v", got, want)
	}
	if string(got.Payload) != string(payload) {
		t.Errorf("payload altered")
	}

	h.Set("Stripe-Signature", stripetest.Sign(payload, "whsec_leaked_elsewhere", now))
	if _, err := s.Verify(h, payload); !errors.Is(err, stripe.ErrBadSignature) {
		t.Errorf("Verify(forged) error = %v, want ErrBadSignature", err)
	}
	bad := []byte(`{"id":"evt_x","object":"invoice"}`)
	h.Set("Stripe-Signature", stripetest.Sign(bad, secret, now))
	if _, err := s.Verify(h, bad); !errors.Is(err, sources.ErrMalformed) {
		t.Errorf("Verify(signed non-event) error = %v, want ErrMalformed", err)
	}
}

func TestScope(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	some := srv.AddEndpoint("https://example.com/hook", "", "invoice.paid", "charge.refunded")
	all := srv.AddEndpoint("https://example.com/hook2", "", "*")
	tests := []struct {
		name     string
		edit     func(*stripe.Config)
		want     sources.Scope
		wantNote string
		wantErr  bool
	}{
		{"endpoint", func(c *stripe.Config) { c.EndpointID = some.ID; c.EventTypes = []string{"ignored"} },
			sources.Scope{Types: []string{"invoice.paid", "charge.refunded"}}, "enabled_events of " + some.ID, false},
		{"endpoint star", func(c *stripe.Config) { c.EndpointID = all.ID }, sources.Scope{AllTypes: true}, "enabled_events of " + all.ID + ": *", false},
		{"configured types", func(c *stripe.Config) { c.EventTypes = []string{"payment_intent.succeeded"} },
			sources.Scope{Types: []string{"payment_intent.succeeded"}}, "STRIPE_EVENT_TYPES", false},
		{"nothing known", nil, sources.Scope{AllTypes: true}, "no subscription known: expecting all types", false},
		{"unknown endpoint", func(c *stripe.Config) { c.EndpointID = "we_missing" }, sources.Scope{}, "", true},
		{"bad key", func(c *stripe.Config) { c.EndpointID = some.ID; c.APIKey = "sk_test_wrong" }, sources.Scope{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newSource(t, srv, tt.edit).Scope(testContext(t))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Scope() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got.AllTypes != tt.want.AllTypes || !slices.Equal(got.Types, tt.want.Types) || got.Note != tt.wantNote {
				t.Errorf("Scope() = %+v, want %+v note %q", got, tt.want, tt.wantNote)
			}
		})
	}
}

func TestFetch(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	ev := srv.AddEvent("invoice.paid", now.Add(-time.Hour), nil)
	s := newSource(t, srv, nil)
	ctx := testContext(t)

	got, err := s.Fetch(ctx, sources.Listed{EventID: ev.ID})
	if err != nil {
		t.Fatalf("Fetch() error = %v", err)
	}
	if got.EventID != ev.ID || got.Origin != ledger.OriginReconcile || string(got.Payload) != string(ev.JSON()) {
		t.Errorf("Fetch() = %s %s, payload equal %v", got.EventID, got.Origin, string(got.Payload) == string(ev.JSON()))
	}
	carried := &ledger.Event{EventID: "evt_carried"}
	if got, err := s.Fetch(ctx, sources.Listed{EventID: "evt_carried", Event: carried}); err != nil || got != carried {
		t.Errorf("Fetch(with Event) = %v, %v; want the carried event", got, err)
	}
	if _, err := s.Fetch(ctx, sources.Listed{EventID: "evt_unknown"}); err == nil {
		t.Errorf("Fetch(unknown) succeeded")
	}
	if err := s.Redeliver(ctx, sources.Listed{EventID: ev.ID}); !errors.Is(err, sources.ErrNotSupported) {
		t.Errorf("Redeliver() = %v, want ErrNotSupported", err)
	}
}
