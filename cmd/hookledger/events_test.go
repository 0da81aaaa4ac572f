package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/ledger"
)

// eventKeys are the fields DESIGN.md promises in `events list --json`.
var eventKeys = []string{"source", "event_id", "type", "state", "origin", "attempts", "created_at", "received_at"}

func TestEventsListJSON(t *testing.T) {
	w := newProcessWorld(t, 3)
	out, err := w.run(t, nil, "events", "list", "--json", "--source", "stripe", "--state", "pending")
	if err != nil {
		t.Fatalf("events list --json: %v", err)
	}
	var evs []map[string]any
	if err := json.Unmarshal([]byte(out), &evs); err != nil || len(evs) != 3 {
		t.Fatalf("events list --json = %d events (%v), want 3:\n%s", len(evs), err, out)
	}
	for _, k := range eventKeys {
		if _, ok := evs[0][k]; !ok {
			t.Errorf("event lacks %q: %v", k, evs[0])
		}
	}
	if evs[0]["state"] != "pending" || evs[0]["origin"] != "webhook" {
		t.Errorf("event = %v, want pending from a webhook", evs[0])
	}
	out, err = w.run(t, nil, "events", "list", "--json", "--source", "github")
	if err != nil || strings.TrimSpace(out) != "[\n]" {
		t.Errorf("events list --json with no match = %q, %v; want an empty array", out, err)
	}
}

func TestEventsShowJSON(t *testing.T) {
	w := newProcessWorld(t, 1)
	out, err := w.run(t, nil, "events", "show", "--json", "stripe", "evt_0")
	if err != nil {
		t.Fatalf("events show --json: %v", err)
	}
	var ev map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("events show --json is not one object (%v):\n%s", err, out)
	}
	if string(ev["event_id"]) != `"evt_0"` || string(ev["payload"]) != `{}` {
		t.Errorf("events show --json = %s, want evt_0 with its payload", out)
	}
	out, err = w.run(t, nil, "events", "show", "--json", "stripe", "evt_missing")
	if err == nil || out != "" {
		t.Errorf("events show --json of an unknown event = %q, %v; want an error and nothing on stdout", out, err)
	}
}

// TestEventsJSONWholeOrNothing checks that a listing that fails midway
// leaves nothing on stdout rather than half an array.
func TestEventsJSONWholeOrNothing(t *testing.T) {
	failing := func(yield func(*ledger.Event, error) bool) {
		if yield(&ledger.Event{Source: "stripe", EventID: "evt_1"}, nil) {
			yield(nil, errors.New("disk on fire"))
		}
	}
	var out bytes.Buffer
	err := spool(&out, func(w io.Writer) error { return writeEventsJSON(w, failing) })
	if err == nil || out.Len() != 0 {
		t.Errorf("spool(failing listing) = %v, wrote %q; want an error and nothing written", err, out.String())
	}
}

func TestReadCommandsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"events", "list", "stripe"},
		{"events", "list", "--state", "lost"},
		{"events", "list", "--since", "yesterday"},
		{"events", "show", "stripe"},
		{"status", "extra"},
		{"alerts", "list", "extra"},
	} {
		env, stdout, _ := testEnv(nil)
		err := runWith(context.Background(), env, args)
		if code := exitCode(err, io.Discard); code != exitUsage || stdout.String() != "" {
			t.Errorf("%v = exit %d (%v), stdout %q; want %d and nothing on stdout", args, code, err, stdout, exitUsage)
		}
	}
}
