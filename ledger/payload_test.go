package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// oddPayloads are bodies whose bytes must come back exactly: empty, NUL
// and invalid UTF-8, a CRLF and trailing space, JSON that compresses,
// random bytes that do not, and one large enough for several pages.
func oddPayloads() map[string][]byte {
	random := make([]byte, 5000)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(random)
	return map[string][]byte{
		"evt_empty":  {},
		"evt_nul":    {0, 0, 0xff, 0xfe, '{', 0, '}'},
		"evt_utf8":   []byte("{\"a\":\"\xc3\x28 \xed\xa0\x80\"}\r\n "),
		"evt_json":   []byte(`{"id":"evt_1","object":"event","data":{"object":{"amount":4900,"currency":"usd"}}}` + strings.Repeat(` {"k": "v"}`, 200)),
		"evt_random": random,
		"evt_large":  bytes.Repeat([]byte(`{"line":"ref_7f3Kq9 ok"},`), 20000),
	}
}

// TestPayloadsComeBackByteForByte records odd bodies and reads each back
// through Event (events show) and Claim (forward, exec and replay hand the
// claim's payload on): every byte must be the one received.
func TestPayloadsComeBackByteForByte(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	want := oddPayloads()
	for id, p := range want {
		if _, err := db.Record(ctx, &Event{Source: "stripe", EventID: id, Payload: p}, nil); err != nil {
			t.Fatal(err)
		}
	}
	checkPayloads(t, db, want)
	var zstd, identity int
	if err := db.r.QueryRow(`SELECT count(*) FILTER (WHERE encoding = 'zstd'), count(*) FILTER (WHERE encoding = 'identity')
		FROM payloads`).Scan(&zstd, &identity); err != nil {
		t.Fatal(err)
	}
	if zstd < 2 || identity < 2 { // JSON and large compress; empty and random do not
		t.Errorf("payloads: %d zstd, %d identity; want the compressible ones compressed and the rest kept", zstd, identity)
	}
}

// TestMigratedLedgerReadsBackEveryPayload builds a ledger with the events
// table of before migration 016 (payloads in the event rows), upgrades it,
// and reads every payload back exactly; a payload pruned before the
// upgrade stays pruned, and the upgraded payloads can be pruned.
func TestMigratedLedgerReadsBackEveryPayload(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := embedded()
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := adoptLegacy(ctx, old, ms); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.name < "migrations/016" {
			if err := applyMigration(ctx, old, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := oddPayloads()
	for id, p := range want {
		if _, err := old.Exec(`INSERT INTO events (source, event_id, payload, created_at, received_at, origin, updated_at)
			VALUES ('stripe', ?, ?, 1, 1, 'webhook', 1)`, id, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := old.Exec(`INSERT INTO events (source, event_id, payload, created_at, received_at, origin, updated_at,
		state, processed_at, payload_pruned_at) VALUES ('stripe', 'evt_pruned', x'', 1, 1, 'webhook', 1, 'processed', 1, 5)`); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pruned, err := db.Event(ctx, "stripe", "evt_pruned")
	if err != nil {
		t.Fatal(err)
	}
	if len(pruned.Payload) != 0 || pruned.PayloadPrunedAt.IsZero() {
		t.Errorf("pruned event after upgrade: payload %q, pruned at %v; want none, pruned", pruned.Payload, pruned.PayloadPrunedAt)
	}
	checkPayloads(t, db, want)
	db.now = func() time.Time { return time.Now().Add(24 * time.Hour) }
	rep, err := db.Prune(ctx, PruneOptions{Retention: Retention{Payloads: time.Hour}, Pause: -1})
	if err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.r.QueryRow(`SELECT count(*) FROM payloads`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if rep.Payloads != len(want) || left != 0 {
		t.Errorf("prune after upgrade: %d payloads pruned, %d left; want %d, 0", rep.Payloads, left, len(want))
	}
}

// checkPayloads reads each event of want through Event, then claims them
// all and compares the claims' payloads, settling them processed.
func checkPayloads(t *testing.T, db *DB, want map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	for id, p := range want {
		ev, err := db.Event(ctx, "stripe", id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ev.Payload, p) {
			t.Errorf("Event(%s).Payload: %d bytes, differ from the %d recorded", id, len(ev.Payload), len(p))
		}
	}
	claims, err := db.Claim(ctx, ClaimOptions{Owner: "t", Limit: 100, Lease: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != len(want) {
		t.Fatalf("Claim() = %d events, want %d", len(claims), len(want))
	}
	var results []*AttemptResult
	for _, c := range claims {
		if !bytes.Equal(c.Event.Payload, want[c.Event.EventID]) {
			t.Errorf("claimed %s: %d payload bytes, differ from the %d recorded", c.Event.EventID, len(c.Event.Payload), len(want[c.Event.EventID]))
		}
		results = append(results, &AttemptResult{Claim: c, Outcome: AttemptProcessed})
	}
	if err := db.Settle(ctx, results); err != nil {
		t.Fatal(err)
	}
}

// TestFirstReceiptOnEventRowReadsAsBefore records an event and a duplicate
// with receipts: Receipts must give both with every field as recorded,
// while only the duplicate costs a receipts row.
func TestFirstReceiptOnEventRowReadsAsBefore(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	first := Receipt{Status: 200, RemoteAddr: "203.0.113.7:4431", BodySize: 2600, Duration: 1500 * time.Microsecond, ReceivedAt: at}
	dup := Receipt{Status: 200, RemoteAddr: "203.0.113.8:4432", BodySize: 2601, Duration: 700 * time.Microsecond, ReceivedAt: at.Add(time.Second)}
	for _, rc := range []Receipt{first, dup} {
		if _, err := db.Record(ctx, &Event{Source: "stripe", EventID: "evt_r", Payload: []byte("{}")}, &rc); err != nil {
			t.Fatal(err)
		}
	}
	rcs, err := db.Receipts(ctx, "stripe", "evt_r")
	if err != nil {
		t.Fatal(err)
	}
	first.Source, first.EventID, first.Outcome = "stripe", "evt_r", OutcomeAccepted
	dup.Source, dup.EventID, dup.Outcome = "stripe", "evt_r", OutcomeDuplicate
	if len(rcs) != 2 {
		t.Fatalf("Receipts() = %+v, want 2", rcs)
	}
	rcs[1].ID = 0
	for i, want := range []Receipt{first, dup} {
		if rcs[i] != want {
			t.Errorf("receipt %d = %+v, want %+v", i, rcs[i], want)
		}
	}
	var rows int
	if err := db.r.QueryRow(`SELECT count(*) FROM receipts`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("receipts rows = %d, want 1 (the duplicate's)", rows)
	}
}
