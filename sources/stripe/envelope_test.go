package stripe_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

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
		// What the ledger cannot represent, or readers would read apart.
		{"created past 9999", `{"id":"evt_1","object":"event","type":"a","created":99999999999999}`, stripe.Envelope{}, true},
		{"created before 1970", `{"id":"evt_1","object":"event","type":"a","created":-1}`, stripe.Envelope{}, true},
		{"created last second of 9999", `{"id":"evt_1","object":"event","type":"a","created":253402300799}`,
			stripe.Envelope{ID: "evt_1", Object: "event", Type: "a", Created: 253402300799}, false},
		{"nested past the limit", `{"id":"evt_1","object":"event","type":"a","d":` + nested(sources.MaxDepth) + `}`, stripe.Envelope{}, true},
		{"nested to the limit", `{"id":"evt_1","object":"event","type":"a","d":` + nested(sources.MaxDepth-1) + `}`,
			stripe.Envelope{ID: "evt_1", Object: "event", Type: "a"}, false},
		{"invalid UTF-8 elsewhere", "{\"id\":\"evt_1\",\"object\":\"event\",\"type\":\"a\",\"d\":\"\xff\"}", stripe.Envelope{}, true},
		{"invalid UTF-8 id", "{\"id\":\"evt_\xff\",\"object\":\"event\",\"type\":\"a\"}", stripe.Envelope{}, true},
		{"unpaired surrogate id", `{"id":"evt_\ud800","object":"event","type":"a"}`, stripe.Envelope{}, true},
		{"surrogate pair id", `{"id":"evt_\ud83d\ude00","object":"event","type":"a"}`,
			stripe.Envelope{ID: "evt_\U0001F600", Object: "event", Type: "a"}, false},
		{"id and ID", `{"id":"evt_1","ID":"evt_2","object":"event","type":"a"}`, stripe.Envelope{}, true},
		{"ID alone", `{"ID":"evt_2","object":"event","type":"a"}`, stripe.Envelope{}, true},
		{"id twice", `{"id":"evt_1","object":"event","type":"a","id":"evt_2"}`, stripe.Envelope{}, true},
		{"id escaped and plain", `{"\u0069d":"evt_1","object":"event","type":"a","id":"evt_2"}`, stripe.Envelope{}, true},
		{"id name escaped", `{"\u0069d":"evt_1","object":"event","type":"a"}`,
			stripe.Envelope{ID: "evt_1", Object: "event", Type: "a"}, false},
		{"nested ID is not the envelope's", `{"id":"evt_1","object":"event","type":"a","data":{"ID":"x","id":"y"}}`,
			stripe.Envelope{ID: "evt_1", Object: "event", Type: "a"}, false},
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

// nested returns n arrays, each inside the last.
func nested(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
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
		`{"id":"evt_1","object":"event","type":"a","d":` + nested(sources.MaxDepth) + `}`,
		`{"id":"evt_1","object":"event","type":"a","d":` + nested(sources.MaxDepth-1) + `}`,
		`{"id":"evt_1","object":"event","type":"a","created":99999999999999}`,
		`{"id":"evt_1","object":"event","type":"a","created":-1}`,
		`{"id":"evt_1","object":"event","type":"a","created":253402300800}`,
		`{"id":"evt_\ud83d\ude00","object":"event","type":"a"}`,
		`{"id":"evt_\ud83d\ufffd\ude00","object":"event","type":"a"}`,
		`{"\u0069d":"evt_1","object":"event","type":"a","id":"evt_2"}`,
		`{"id":"evt_1","object":"event","type":"a","data":{"ID":"x","id":"y"}}`,
		`{"id":"evt_1","object":"event","type":"a"}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		env, err := stripe.ParseEnvelope(payload)
		ref, refErr := refEnvelope(payload)
		if err != nil {
			if !errors.Is(err, sources.ErrMalformed) {
				t.Fatalf("error %v does not wrap sources.ErrMalformed", err)
			}
			if refErr == nil {
				t.Fatalf("rejected %.200q (%v), the reference reads %+v", payload, err, ref)
			}
			return
		}
		if refErr != nil {
			t.Fatalf("accepted %.200q as %+v, the reference rejects it: %v", payload, env, refErr)
		}
		if env != ref {
			t.Fatalf("ParseEnvelope(%.200q) = %+v, the reference reads %+v", payload, env, ref)
		}
	})
}

// refEnvelope is the reading ParseEnvelope promises, built on
// encoding/json's tokenizer rather than gjson: valid JSON and UTF-8, at
// most sources.MaxDepth deep; a top-level object whose envelope members
// appear once each, by their exact names, with no other member equal to
// one of them but for case; string fields without unpaired surrogate
// escapes, created an integer; then the envelope checks (an event object
// with an id and a type, created from 1970 to 9999).
func refEnvelope(payload []byte) (stripe.Envelope, error) {
	if !json.Valid(payload) || !utf8.Valid(payload) {
		return stripe.Envelope{}, errors.New("not valid UTF-8 JSON")
	}
	if d := refDepth(payload); d > sources.MaxDepth {
		return stripe.Envelope{}, fmt.Errorf("%d deep", d)
	}
	members, err := refMembers(payload)
	if err != nil {
		return stripe.Envelope{}, err
	}
	var env stripe.Envelope
	for _, f := range []struct {
		name string
		dst  *string
	}{{"id", &env.ID}, {"object", &env.Object}, {"type", &env.Type}, {"account", &env.Account}} {
		raw, ok := members[f.name]
		if !ok || string(raw) == "null" {
			continue
		}
		if raw[0] != '"' || !refPairedSurrogates(raw) {
			return stripe.Envelope{}, fmt.Errorf("%s: not a UTF-8 string", f.name)
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return stripe.Envelope{}, err
		}
	}
	if raw, ok := members["created"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &env.Created); err != nil || bytes.ContainsAny(raw, ".eE") {
			return stripe.Envelope{}, fmt.Errorf("created %s: not an integer", raw)
		}
	}
	if env.Object != "event" || env.ID == "" || env.Type == "" {
		return stripe.Envelope{}, errors.New("not an event with an id and a type")
	}
	if y := env.CreatedAt().Year(); env.Created < 0 || y < 1970 || y > 9999 {
		return stripe.Envelope{}, fmt.Errorf("created %d out of range", env.Created)
	}
	return env, nil
}

// refMembers reads the top-level members of an object with json.Decoder,
// keeping the envelope ones and refusing duplicates and case variants.
func refMembers(payload []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		for _, name := range []string{"id", "object", "type", "created", "account"} {
			switch {
			case key == name && out[name] != nil:
				return nil, fmt.Errorf("%s twice", name)
			case key == name:
				out[name] = v
			case strings.EqualFold(key, name):
				return nil, fmt.Errorf("%q is %s but for case", key, name)
			}
		}
	}
	return out, nil
}

// refDepth is the nesting depth of valid JSON, from json.Decoder's tokens.
func refDepth(payload []byte) int {
	dec := json.NewDecoder(bytes.NewReader(payload))
	d, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			d++
			deepest = max(deepest, d)
		case json.Delim('}'), json.Delim(']'):
			d--
		}
	}
}

// refPairedSurrogates decodes the \u escapes of a JSON string literal as
// UTF-16 code units and reports whether they form whole characters.
func refPairedSurrogates(raw []byte) bool {
	var units []uint16
	flush := func() bool {
		for _, r := range utf16.Decode(units) {
			if r == utf8.RuneError {
				return false
			}
		}
		units = units[:0]
		return true
	}
	for i := 1; i < len(raw)-1; i++ {
		if raw[i] == '\\' && raw[i+1] == 'u' {
			n, _ := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
			i += 5
			if n == 0xfffd { // a real U+FFFD, which Decode would not tell apart
				if !flush() {
					return false
				}
				continue
			}
			units = append(units, uint16(n))
			continue
		}
		if raw[i] == '\\' {
			i++
		}
		if !flush() {
			return false
		}
	}
	return flush()
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
