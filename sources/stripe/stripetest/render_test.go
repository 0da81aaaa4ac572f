package stripetest_test

import (
	"encoding/json"
	"testing"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

func TestEventJSON(t *testing.T) {
	srv := stripetest.NewServer(stripetest.WithAccount("acct_1Connected"))
	defer srv.Close()
	tests := []struct {
		typ, object  string
		minLen, maxN int
	}{
		{"invoice.paid", "invoice", 2400, 3000},
		{"customer.subscription.updated", "subscription", 2400, 3000},
		{"payment_intent.succeeded", "payment_intent", 2400, 3000},
		{"charge.refunded", "charge", 2400, 3000},
		{"customer.created", "customer", 500, 3200},
		{"topup.created", "topup", 100, 3200},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			ev := srv.AddEvent(tt.typ, t0, nil)
			raw := ev.JSON()
			if len(raw) < tt.minLen || len(raw) > tt.maxN {
				t.Errorf("len = %d, want %d..%d", len(raw), tt.minLen, tt.maxN)
			}
			var got stripego.Event
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("stripe-go cannot decode the event: %v\n%s", err, raw)
			}
			if got.ID != ev.ID || string(got.Type) != tt.typ || got.Created != t0.Unix() || got.Object != "event" {
				t.Errorf("event = %s %s %d %s", got.ID, got.Type, got.Created, got.Object)
			}
			if got.APIVersion != stripetest.APIVersion || got.Account != "acct_1Connected" || got.Request == nil {
				t.Errorf("api_version %q account %q request %v", got.APIVersion, got.Account, got.Request)
			}
			if got.Data == nil || got.Data.Object["object"] != tt.object {
				t.Errorf("data.object.object = %v, want %s", got.Data.Object["object"], tt.object)
			}
			if string(ev.JSON()) != string(raw) {
				t.Errorf("JSON() is not stable")
			}
		})
	}
}

func TestEventJSONCustomObject(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	obj := map[string]any{"id": "cus_custom", "object": "customer", "email": "a@b.c"}
	ev := srv.AddEvent("customer.updated", t0, obj)
	var got stripego.Event
	if err := json.Unmarshal(ev.JSON(), &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.Data.Object["id"] != "cus_custom" || got.Data.PreviousAttributes == nil {
		t.Errorf("data = %v, previous %v", got.Data.Object, got.Data.PreviousAttributes)
	}
}

func TestEventIDsDistinct(t *testing.T) {
	a, b := stripetest.NewServer(), stripetest.NewServer()
	defer a.Close()
	defer b.Close()
	ea, eb := a.AddEvent("invoice.paid", t0, nil), b.AddEvent("invoice.paid", t0, nil)
	if ea.ID == eb.ID {
		t.Errorf("two fakes issued the same id %s", ea.ID)
	}
	if a.Event(eb.ID) != nil {
		t.Errorf("a fake knows another fake's event")
	}
	if got := a.Event(ea.ID); got == nil || got.Type != "invoice.paid" {
		t.Errorf("Event(%s) = %v", ea.ID, got)
	}
}
