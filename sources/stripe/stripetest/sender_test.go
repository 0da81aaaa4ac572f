package stripetest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// receiver records what arrives and checks signatures with stripe-go's
// own verifier, independent of hookledger's.
type receiver struct {
	mu       sync.Mutex
	secret   string
	verified map[string]int // event id → verified deliveries
	rejected int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), rc.secret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.rejected++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.verified[ev.ID]++
}

func TestSenderDeliver(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	ep := srv.AddEndpoint("", "")
	rc := &receiver{secret: ep.Secret, verified: map[string]int{}}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	evs := fill(srv, 400, "invoice.paid", "charge.refunded")
	sd := stripetest.NewSender(hs.URL, ep.Secret)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	d, err := sd.Deliver(ctx, evs, stripetest.Plan{Drop: 0.05, Duplicate: 0.05, Reorder: true, Seed: 7, Concurrency: 4})
	if err != nil {
		t.Fatalf("Deliver() error = %v", err)
	}
	if len(d.Sent)+len(d.Dropped) != len(evs) || len(d.Dropped) == 0 || len(d.Duplicated) == 0 {
		t.Fatalf("sent %d dropped %d duplicated %d of %d", len(d.Sent), len(d.Dropped), len(d.Duplicated), len(evs))
	}
	if d.Status[200] != len(d.Sent)+len(d.Duplicated) {
		t.Errorf("200s = %d, want %d", d.Status[200], len(d.Sent)+len(d.Duplicated))
	}
	for _, id := range d.Dropped {
		if rc.verified[id] != 0 {
			t.Errorf("dropped %s arrived", id)
		}
	}
	for _, id := range d.Duplicated {
		if rc.verified[id] != 2 {
			t.Errorf("duplicated %s arrived %d times", id, rc.verified[id])
		}
	}
	if len(rc.verified) != len(d.Sent) {
		t.Errorf("receiver verified %d distinct events, want %d", len(rc.verified), len(d.Sent))
	}
}

func TestSenderForgeries(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	rc := &receiver{secret: "whsec_right", verified: map[string]int{}}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	sd := stripetest.NewSender(hs.URL, "whsec_right")
	ctx := context.Background()

	ev := srv.AddEvent("invoice.paid", t0, nil)
	if code, err := sd.SendSigned(ctx, ev.JSON(), "whsec_wrong"); err != nil || code != 401 {
		t.Errorf("wrong secret: %d %v, want 401", code, err)
	}
	if code, err := sd.Post(ctx, ev.JSON(), ""); err != nil || code != 401 {
		t.Errorf("unsigned: %d %v, want 401", code, err)
	}
	forged := srv.AddUnlistedEvent("charge.refunded", t0, nil)
	if code, err := sd.Send(ctx, forged); err != nil || code != 200 {
		t.Errorf("leaked-secret forgery: %d %v, want 200 (it verifies)", code, err)
	}
	if rc.rejected != 2 || rc.verified[forged.ID] != 1 {
		t.Errorf("rejected %d, forged verified %d; want 2, 1", rc.rejected, rc.verified[forged.ID])
	}
}
