package stripe_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
)

func TestParseEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    stripe.Envelope
		wantErr bool
	}{
		{"minimal", `{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000}`,
			stripe.Envelope{ID: "evt_1", Object: "event", Type: "invoice.paid", Created: 1700000000}, false},
		{"connect account", `{"id":"evt_2","object":"event","type":"charge.refunded","created":1,"account":"acct_9","data":{"object":{}}}`,
			stripe.Envelope{ID: "evt_2", Object: "event", Type: "charge.refunded", Created: 1, Account: "acct_9"}, false},
		{"unknown type and api version", `{"id":"evt_3","object":"event","type":"brand.new.type","created":5,"api_version":"2099-01-01"}`,
			stripe.Envelope{ID: "evt_3", Object: "event", Type: "brand.new.type", Created: 5}, false},
		{"not json", `not json`, stripe.Envelope{}, true},
		{"array", `[]`, stripe.Envelope{}, true},
		{"null", `null`, stripe.Envelope{}, true},
		{"truncated", `{"id":"evt_1","object":"event"`, stripe.Envelope{}, true},
		{"not an event", `{"id":"in_1","object":"invoice","type":"x","created":1}`, stripe.Envelope{}, true},
		{"missing id", `{"object":"event","type":"invoice.paid","created":1}`, stripe.Envelope{}, true},
		{"missing type", `{"id":"evt_1","object":"event","created":1}`, stripe.Envelope{}, true},
		{"created not a number", `{"id":"evt_1","object":"event","type":"a","created":"soon"}`, stripe.Envelope{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stripe.ParseEnvelope([]byte(tt.payload))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseEnvelope() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, sources.ErrMalformed) {
				t.Errorf("error %v does not wrap sources.ErrMalformed", err)
			}
			if got != tt.want {
				t.Errorf("ParseEnvelope() = %+v, want %+v", got, tt.want)
			}
		})
	}
	env := stripe.Envelope{Created: 1700000000}
	if !env.CreatedAt().Equal(time.Unix(1700000000, 0)) || env.CreatedAt().Location() != time.UTC {
		t.Errorf("CreatedAt() = %v", env.CreatedAt())
	}
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add(sampleEvent(f, "customer.subscription.updated"))
	f.Add([]byte(`{"id":"evt_1","object":"event","type":"a","created":1}`))
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte(`{"id":"evt_\u00e9\/","object":"event","type":"a","created":-0,"id":"evt_2"}`))
	f.Add([]byte(`{"id":"evt_1","object":"event","type":"a","created":1,"data":{"x":[1.5e3,true,null,"\ud83d\ude00"]}}`))
	// Where a hand-rolled reader and encoding/json part ways.
	for _, seed := range []string{
		`{"ID":"evt_1","Object":"event","TYPE":"a","created":1}`,
		`{"id":"evt_1","object":"event","type":"a","id":null,"Id":"evt_2"}`,
		`{"\u0069d":"evt_1","object":"event","type":"a"}`,
		`{"\u0130d":"evt_1","\u0131d":"evt_2","object":"event","type":"a"}`,
		"{\"id\":\"evt_\xff\",\"object\":\"event\",\"type\":\"a\"}",
		`{"id":"evt_\ud800","object":"event","type":"a"}`,
		`{"id":"evt_1","object":"event","type":"a","created":1e3}`,
		`{"id":"evt_1","object":"event","type":"a","created":1.0}`,
		`{"id":"evt_1","object":"event","type":"a","created":9223372036854775808}`,
		`{"id":"evt_1","object":"event","type":"a","created":"1"}`,
		`{"id":true,"object":"event","type":"a"}`,
		` {"id":"evt_1","object":"event","type":"a"} `,
		`null`,
		`{"id":"evt_1","object":"event","type":"a","d":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
		`{"id":"evt_1","object":"event","type":"a","d":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		env, err := stripe.ParseEnvelope(payload)
		ref, refOK := refEnvelope(payload)
		if err != nil {
			if !errors.Is(err, sources.ErrMalformed) {
				t.Fatalf("error %v does not wrap sources.ErrMalformed", err)
			}
			if refOK {
				t.Fatalf("rejected %q, encoding/json reads %+v", payload, ref)
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("accepted invalid JSON %q", payload)
		}
		if !refOK || env != ref {
			t.Fatalf("ParseEnvelope() = %+v, encoding/json reads %+v (ok %v)", env, ref, refOK)
		}
	})
}

// refEnvelope is the behaviour ParseEnvelope promises: json.Unmarshal
// into an Envelope, then its checks (an event object with an id and a
// type).
func refEnvelope(payload []byte) (stripe.Envelope, bool) {
	var env stripe.Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return stripe.Envelope{}, false
	}
	return env, env.Object == "event" && env.ID != "" && env.Type != ""
}

func BenchmarkParseEnvelope(b *testing.B) {
	payload := sampleEvent(b, "invoice.paid")
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := stripe.ParseEnvelope(payload); err != nil {
			b.Fatal(err)
		}
	}
}
