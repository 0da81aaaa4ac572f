package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookledger/hookledger/ledger"
)

// oddLedger holds, beside one ordinary event, the rows an older build
// accepted at intake: a created time in the year 5138, a payload nested
// 9,999 deep, and one with invalid UTF-8.
func oddLedger(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	db, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deep := `{"id":"evt_deep","d":` + strings.Repeat("[", 9997) + strings.Repeat("]", 9997) + `}`
	payloads := map[string][]byte{
		"evt_ok":   []byte(`{"id":"evt_ok","object":"event"}`),
		"evt_far":  []byte(`{"id":"evt_far","created":99999999999999}`),
		"evt_deep": []byte(deep),
		"evt_utf8": []byte("{\"id\":\"evt_utf8\",\"d\":\"\xff\xfe\"}"),
	}
	for id, p := range payloads {
		created := time.Unix(1700000000, 0)
		if id == "evt_far" {
			created = time.Unix(99999999999999, 0)
		}
		ev := &ledger.Event{Source: "stripe", EventID: id, Type: "invoice.paid", Payload: p, CreatedAt: created, Origin: ledger.OriginWebhook}
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	return path, payloads
}

// TestEventsJSONRendersEveryStoredEvent: one odd row does not break the
// JSON tooling for the whole ledger. `events list --json` lists all four
// events (the year-5138 created_at as null), and `events show --json` of
// each prints valid UTF-8 JSON: the payload raw when every reader can take
// it, else as a string (nesting too deep to re-embed) or as
// payload_base64 (not UTF-8), bytes intact. Before, events list failed
// with "Time.MarshalJSON: year outside of range", events show of the deep
// payload failed, and of the invalid UTF-8 one printed invalid UTF-8.
func TestEventsJSONRendersEveryStoredEvent(t *testing.T) {
	path, payloads := oddLedger(t)
	run := func(args ...string) string {
		t.Helper()
		env, stdout, _ := testEnv(map[string]string{"HOOKLEDGER_DB": path})
		if err := runWith(context.Background(), env, args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		out := stdout.String()
		if !utf8.ValidString(out) || !json.Valid([]byte(out)) {
			t.Fatalf("%v printed invalid JSON or UTF-8: %.300q", args, out)
		}
		return out
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(run("events", "list", "--json")), &list); err != nil || len(list) != 4 {
		t.Fatalf("events list --json = %d events, %v; want 4", len(list), err)
	}
	for _, ev := range list {
		if ev["event_id"] == "evt_far" && ev["created_at"] != nil {
			t.Errorf("evt_far created_at = %v, want null", ev["created_at"])
		}
		if ev["event_id"] == "evt_ok" && ev["created_at"] != "2023-11-14T22:13:20Z" {
			t.Errorf("evt_ok created_at = %v", ev["created_at"])
		}
	}
	for id, want := range payloads {
		var ev struct {
			Payload       json.RawMessage `json:"payload"`
			PayloadBase64 string          `json:"payload_base64"`
		}
		if err := json.Unmarshal([]byte(run("events", "show", "stripe", id, "--json")), &ev); err != nil {
			t.Fatal(err)
		}
		var got []byte
		switch {
		case ev.PayloadBase64 != "":
			got, _ = base64.StdEncoding.DecodeString(ev.PayloadBase64)
		case len(ev.Payload) > 0 && ev.Payload[0] == '"':
			var s string
			json.Unmarshal(ev.Payload, &s)
			got = []byte(s)
		default: // raw, as writeJSON indents it
			var b bytes.Buffer
			json.Compact(&b, ev.Payload)
			got = b.Bytes()
		}
		if string(got) != string(want) {
			t.Errorf("events show %s payload = %.80q, want %.80q", id, got, want)
		}
		if (id == "evt_ok" || id == "evt_far") && ev.Payload[0] != '{' {
			t.Errorf("events show %s payload not raw JSON: %.80s", id, ev.Payload)
		}
	}
	run2 := func(args ...string) {
		env, _, _ := testEnv(map[string]string{"HOOKLEDGER_DB": path})
		if err := runWith(context.Background(), env, args); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	run2("events", "list")
	run2("events", "show", "stripe", "evt_far")
}
