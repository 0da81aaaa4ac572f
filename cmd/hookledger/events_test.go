package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// eventKeys are the fields docs/design.md promises in `events list --json`.
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
	err := app.Spool(&out, func(w io.Writer) error { return writeEventsJSON(w, failing) })
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
		if code := app.ExitCode(err, io.Discard); code != app.ExitUsage || stdout.String() != "" {
			t.Errorf("%v = exit %d (%v), stdout %q; want %d and nothing on stdout", args, code, err, stdout, app.ExitUsage)
		}
	}
}

// TestEventsListDefaults holds that `events list` shows the newest events
// first, at most 100 unless --limit says otherwise (0: all), that --json
// stays uncapped as docs/design.md promises scripts, that a negative limit is a
// usage error, and that a --source the ledger has never seen is named.
func TestEventsListDefaults(t *testing.T) {
	w := newProcessWorld(t, 130)
	ids := func(out string) []string {
		var got []string
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "stripe" {
				got = append(got, f[1])
			}
		}
		return got
	}
	out, err := w.run(t, nil, "events", "list")
	if got := ids(out); err != nil || len(got) != 100 || got[0] != "evt_129" || got[99] != "evt_30" {
		t.Errorf("events list = %d rows from %v (%v), want the newest 100, evt_129 first:\n%s", len(got), got[:min(1, len(got))], err, out)
	}
	if !strings.Contains(out, "--limit 0") {
		t.Errorf("a capped table does not say how to see all:\n%s", out)
	}
	out, _ = w.run(t, nil, "events", "list", "--limit", "0")
	if got := ids(out); len(got) != 130 {
		t.Errorf("events list --limit 0 = %d rows, want all 130", len(got))
	}
	out, _ = w.run(t, nil, "events", "list", "--limit", "2", "--oldest-first")
	if got := ids(out); !slices.Equal(got, []string{"evt_0", "evt_1"}) {
		t.Errorf("events list --limit 2 --oldest-first = %v, want evt_0, evt_1", got)
	}
	out, _ = w.run(t, nil, "events", "list", "--json")
	var evs []map[string]any
	if err := json.Unmarshal([]byte(out), &evs); err != nil || len(evs) != 130 || evs[0]["event_id"] != "evt_129" {
		t.Errorf("events list --json = %d events (%v), want all 130 newest first", len(evs), err)
	}

	env, stdout, stderr := testEnv(map[string]string{"HOOKLEDGER_DB": w.dsn})
	err = runWith(context.Background(), env, []string{"events", "list", "--limit", "-1"})
	if code := app.ExitCode(err, io.Discard); code != app.ExitUsage || stdout.String() != "" {
		t.Errorf("events list --limit -1 = exit %d (%v), stdout %q; want 2 and nothing", code, err, stdout)
	}
	err = runWith(context.Background(), env, []string{"events", "list", "--source", "strpe"})
	if err != nil || !strings.Contains(stderr.String(), `no event from source "strpe" (sources seen: stripe)`) {
		t.Errorf("events list --source strpe = %v, stderr %q; want it to name the unseen source", err, stderr)
	}
}
