package bench

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources/stripe"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   float64
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7},
		{"median of odd", ms(1, 2, 3), 0.5, 2},
		{"p99 of 100", hundred, 0.99, 99},
		{"p50 of 100", hundred, 0.50, 50},
		{"max", hundred, 1, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestEventPool(t *testing.T) {
	pool, err := newEventPool(benchSchemes["stripe"], 3, 2600, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := append([]byte(nil), pool.render(make([]byte, len(pool.tmpl)), 1)...)
	if len(a) != 2600 || !json.Valid(a) {
		t.Fatalf("event is %d bytes, valid JSON %v; want 2600 and valid", len(a), json.Valid(a))
	}
	var env struct{ ID, Type string }
	if err := json.Unmarshal(a, &env); err != nil || env.ID != pool.eventID(1) || env.Type != "invoice.paid" {
		t.Errorf("event id %q type %q (%v), want %q invoice.paid", env.ID, env.Type, err, pool.eventID(1))
	}
	opts := stripe.VerifyOptions{Secrets: []string{pool.secret}}
	if err := stripe.VerifySignature(a, poolHeaders(pool, 1).Get(stripe.SignatureHeader), opts); err != nil {
		t.Errorf("VerifySignature(event 1) = %v, want nil", err)
	}
	if err := stripe.VerifySignature(a, poolHeaders(pool, 2).Get(stripe.SignatureHeader), opts); err == nil {
		t.Error("VerifySignature(event 1, signature of event 2) = nil, want an error")
	}
	if pool.eventID(1) == pool.eventID(2) || pool.sigs[1] == pool.sigs[2] {
		t.Errorf("events 1 and 2 share an id or a signature")
	}
}

// TestEventPoolEverySource: for every source the bench can drive, each
// pre-signed event is valid JSON of the asked size that the source's own
// Verify accepts under the id the ledger check looks for, and rejects with
// another event's headers.
func TestEventPoolEverySource(t *testing.T) {
	for name, scheme := range benchSchemes {
		t.Run(name, func(t *testing.T) {
			pool, err := newEventPool(scheme, 3, 3000, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			src, err := scheme.source(pool.secret)
			if err != nil {
				t.Fatal(err)
			}
			body := append([]byte(nil), pool.render(make([]byte, len(pool.tmpl)), 1)...)
			if len(body) != 3000 || !json.Valid(body) {
				t.Fatalf("event is %d bytes, valid JSON %v; want 3000 and valid", len(body), json.Valid(body))
			}
			ev, err := src.Verify(poolHeaders(pool, 1), body)
			if err != nil || ev.EventID != pool.eventID(1) || src.Name() != scheme.name {
				t.Fatalf("Verify(event 1) = %+v, %v; want event %s of %s", ev, err, pool.eventID(1), scheme.name)
			}
			if _, err := src.Verify(poolHeaders(pool, 2), body); err == nil {
				t.Error("Verify(event 1 with event 2's headers) = nil, want an error")
			}
			if pool.eventID(1) == pool.eventID(2) {
				t.Error("events 1 and 2 share an id")
			}
		})
	}
}

func poolHeaders(p *eventPool, seq int) http.Header {
	h := http.Header{}
	p.setHeaders(h, seq)
	return h
}
