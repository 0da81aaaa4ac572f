package ledger

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// dictEvents renders n Stripe events from seq on, as the scale benchmark
// does: each with ids and random reference ids of its own.
func dictEvents(t *testing.T, seq, n int) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "stripe_event.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte, n)
	for i := range n {
		id, body := stripeEvent(t, strings.TrimSuffix(string(raw), "\n"), seq+i)
		out[id] = body
	}
	return out
}

// recordAll records events from 16 goroutines, as concurrent requests
// do (group commits: much faster than one fsync per event).
func recordAll(t *testing.T, db *DB, events map[string][]byte) {
	t.Helper()
	ids := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for id := range ids {
				if _, err := db.Record(context.Background(), &Event{Source: "stripe", EventID: id, Payload: events[id]}, nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for id := range events {
		ids <- id
	}
	close(ids)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// storedDicts returns, for each stored payload of events, the dictionary
// id its frame names (0 for none, -1 for a payload kept as it is), and the
// total of their stored bytes.
func storedDicts(t *testing.T, db *DB, events map[string][]byte) (map[int64]int, int) {
	t.Helper()
	ids := map[int64]int{}
	total := 0
	for id := range events {
		var encoding string
		var data []byte
		err := db.r.QueryRow(`SELECT p.encoding, p.data FROM payloads p JOIN events e ON e.id = p.event_row
			WHERE e.source = 'stripe' AND e.event_id = ?`, id).Scan(&encoding, &data)
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
		if encoding != encodingZstd {
			ids[-1]++
			continue
		}
		var h zstd.Header
		if err := h.Decode(data); err != nil {
			t.Fatal(err)
		}
		ids[int64(h.DictionaryID)]++
	}
	return ids, total
}

// TestPayloadDictsKeepEveryPayloadReadable trains a dictionary, then a
// newer one, recording events before, between and after: later payloads
// name the dictionary they were compressed with and are smaller than
// those without one, and every payload comes back byte for byte through
// Event and Claim, in the process that trained them, after a reopen and
// through a read-only open that never saw them trained.
func TestPayloadDictsKeepEveryPayloadReadable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dict.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	plain, first, second := dictEvents(t, 0, 150), dictEvents(t, 1000, 150), dictEvents(t, 2000, 150)
	recordAll(t, db, plain)
	if err := db.TrainPayloadDict(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	recordAll(t, db, first)
	if err := db.TrainPayloadDict(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	recordAll(t, db, second)

	plainIDs, plainBytes := storedDicts(t, db, plain)
	firstIDs, firstBytes := storedDicts(t, db, first)
	secondIDs, _ := storedDicts(t, db, second)
	if plainIDs[0] != len(plain) || firstIDs[1] != len(first) || secondIDs[2] != len(second) {
		t.Fatalf("dictionary ids named by frames: before %v, after the first %v, after the second %v; want all 0, 1, 2", plainIDs, firstIDs, secondIDs)
	}
	if firstBytes >= plainBytes*3/4 {
		t.Errorf("stored bytes with a dictionary %d, without %d: want at least a quarter less", firstBytes, plainBytes)
	}
	t.Logf("bytes per payload: %d without a dictionary, %d with", plainBytes/len(plain), firstBytes/len(first))

	all := map[string][]byte{}
	for _, m := range []map[string][]byte{plain, first, second} {
		for id, body := range m {
			all[id] = body
		}
	}
	for id, body := range all { // Event, in the training process
		ev, err := db.Event(ctx, "stripe", id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ev.Payload, body) {
			t.Fatalf("Event(%s).Payload differs from what was recorded", id)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for id, body := range all {
		ev, err := ro.Event(ctx, "stripe", id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ev.Payload, body) {
			t.Fatalf("read-only Event(%s).Payload differs from what was recorded", id)
		}
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	more := dictEvents(t, 3000, 10)
	recordAll(t, db, more)
	if ids, _ := storedDicts(t, db, more); ids[2] != len(more) {
		t.Errorf("after reopening, new payloads name dictionaries %v, want the newest (2)", ids)
	}
	for id, body := range more {
		all[id] = body
	}
	claims, err := db.Claim(ctx, ClaimOptions{Owner: "t", Limit: len(all) + 1, Lease: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != len(all) {
		t.Fatalf("Claim() = %d events, want %d", len(claims), len(all))
	}
	for _, c := range claims {
		if !bytes.Equal(c.Event.Payload, all[c.Event.EventID]) {
			t.Fatalf("claimed %s: payload differs from what was recorded", c.Event.EventID)
		}
	}
}

// TestPayloadDictTrainedAfterFirstPayloads records more than
// dictFirstAfter events of one source and a few of another: the first
// gets a dictionary of its own without being asked (trained in the
// background, stored before Close returns), the second none yet.
func TestPayloadDictTrainedAfterFirstPayloads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auto.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	recordAll(t, db, dictEvents(t, 0, dictFirstAfter+10))
	for i := range 5 {
		ev := &Event{Source: "github", EventID: fmt.Sprintf("gh-%d", i), Payload: []byte(`{"action":"opened"}`)}
		if _, err := db.Record(ctx, ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var stripe, github, samples int
	err = ro.r.QueryRow(`SELECT count(*) FILTER (WHERE source = 'stripe'), count(*) FILTER (WHERE source = 'github'),
		coalesce(max(samples), 0) FROM payload_dicts`).Scan(&stripe, &github, &samples)
	if err != nil {
		t.Fatal(err)
	}
	if stripe != 1 || github != 0 || samples < dictMinSamples {
		t.Errorf("payload_dicts: %d for stripe (trained on %d), %d for github; want 1 on at least %d, and 0", stripe, samples, github, dictMinSamples)
	}
}

// TestTrainPayloadDictNeedsSamples: too few stored payloads is an error,
// and nothing is stored.
func TestTrainPayloadDictNeedsSamples(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	recordAll(t, db, dictEvents(t, 0, dictMinSamples-1))
	if err := db.TrainPayloadDict(ctx, "stripe"); err == nil {
		t.Fatal("TrainPayloadDict() on too few payloads = nil, want an error")
	}
	var n int
	if err := db.r.QueryRow(`SELECT count(*) FROM payload_dicts`).Scan(&n); err != nil || n != 0 {
		t.Errorf("payload_dicts rows = %d (%v), want 0", n, err)
	}
}

// variedEvent is stripeEvent with every id, amount, timestamp, name and
// email of the template random too, so that events of one source share
// only their keys and fixed values (about 2× with zlib, like provider
// JSON): what a dictionary gains on them is not the template's repetition.
func variedEvent(t *testing.T, tmpl string, seq int) []byte {
	_, b := stripeEvent(t, tmpl, seq)
	rng := rand.New(rand.NewPCG(uint64(seq), 7))
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	rnd := func(n int) string {
		var s strings.Builder
		for range n {
			s.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return s.String()
	}
	s := regexp.MustCompile(`Bench[A-Za-z0-9]*`).ReplaceAllStringFunc(string(b), func(m string) string { return rnd(len(m)) })
	s = regexp.MustCompile(`: [0-9]{3,}`).ReplaceAllStringFunc(s, func(string) string { return ": " + strconv.Itoa(rng.IntN(1e10)) })
	s = strings.ReplaceAll(s, "Example Customer", "Customer "+rnd(8))
	s = strings.ReplaceAll(s, "billing@example.com", rnd(10)+"@example.com")
	return []byte(s)
}

// TestPayloadDictOnVariedEvents records events that share only keys and
// fixed values, trains a dictionary on them, and records more: stored
// with the dictionary they take less than 60 % of the bytes they take
// without, and come back byte for byte.
func TestPayloadDictOnVariedEvents(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "stripe_event.json"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := strings.TrimSuffix(string(raw), "\n")
	batch := func(seq int) map[string][]byte {
		out := map[string][]byte{}
		for i := range 300 {
			out[fmt.Sprintf("evt_v%d", seq+i)] = variedEvent(t, tmpl, seq+i)
		}
		return out
	}
	before, after := batch(0), batch(10000)
	recordAll(t, db, before)
	if err := db.TrainPayloadDict(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	recordAll(t, db, after)
	_, plain := storedDicts(t, db, before)
	ids, dict := storedDicts(t, db, after)
	var zl int
	for _, b := range after {
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		_, _ = w.Write(b)
		_ = w.Close()
		zl += buf.Len()
	}
	t.Logf("bytes per payload: zlib alone %d, zstd alone %d, zstd with the dictionary %d (frames naming it: %d of %d)",
		zl/len(after), plain/len(before), dict/len(after), ids[1], len(after))
	if ids[1] != len(after) || dict >= plain*6/10 {
		t.Errorf("with the dictionary: %d bytes in %d frames naming it; without: %d bytes; want all %d named and under 60 %%",
			dict, ids[1], plain, len(after))
	}
	for id, body := range after {
		ev, err := db.Event(ctx, "stripe", id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ev.Payload, body) {
			t.Fatalf("Event(%s).Payload differs from what was recorded", id)
		}
	}
}

// BenchmarkEncodePayload is the request goroutine's compression of one
// 2.6 KB Stripe event, without a dictionary and with one trained on 500
// others of the source.
func BenchmarkEncodePayload(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "enc.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	raw, err := os.ReadFile(filepath.Join("testdata", "stripe_event.json"))
	if err != nil {
		b.Fatal(err)
	}
	tmpl := strings.TrimSuffix(string(raw), "\n")
	for i := range 500 {
		id, body := stripeEvent(b, tmpl, i)
		if _, err := db.Record(ctx, &Event{Source: "stripe", EventID: id, Payload: body}, nil); err != nil {
			b.Fatal(err)
		}
	}
	_, body := stripeEvent(b, tmpl, 1000)
	b.Run("plain", func(b *testing.B) {
		var n int
		for b.Loop() {
			n = len(encodePayload(body).data)
		}
		b.ReportMetric(float64(n), "stored-bytes")
	})
	if err := db.TrainPayloadDict(ctx, "stripe"); err != nil {
		b.Fatal(err)
	}
	b.Run("dict", func(b *testing.B) {
		enc := db.codec.encoder("stripe").enc
		var n int
		for b.Loop() {
			n = len(encodePayloadWith(enc, body).data)
		}
		b.ReportMetric(float64(n), "stored-bytes")
	})
}

// TestExportDecodesDictionaryPayloads: an Export (what `hookledger copy`
// reads) carries every payload decoded byte for byte, those compressed
// with a dictionary too, from a ledger opened read-only.
func TestExportDecodesDictionaryPayloads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "export.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := dictEvents(t, 0, 150)
	recordAll(t, db, want)
	if err := db.TrainPayloadDict(ctx, "stripe"); err != nil {
		t.Fatal(err)
	}
	after := dictEvents(t, 1000, 50)
	recordAll(t, db, after)
	if ids, _ := storedDicts(t, db, after); ids[1] != len(after) {
		t.Fatalf("frames name dictionaries %v, want all 1", ids)
	}
	for id, body := range after {
		want[id] = body
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	x, err := ro.BeginExport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	tbl, _ := x.Table("events")
	idCol, payloadCol := slices.Index(tbl.Columns, "event_id"), slices.Index(tbl.Columns, "payload")
	seen := 0
	for rows, err := range x.Rows(ctx, "events", nil, 64) {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			id, _ := r[idCol].(string)
			if got, _ := r[payloadCol].([]byte); !bytes.Equal(got, want[id]) {
				t.Errorf("exported payload of %s: %d bytes, differ from the %d recorded", id, len(got), len(want[id]))
			}
			seen++
		}
	}
	if seen != len(want) {
		t.Errorf("exported %d events, want %d", seen, len(want))
	}
}

// TestPayloadDictCountSurvivesRestarts: the count toward a source's first
// dictionary goes on across a restart, so a source that sends fewer than
// dictFirstAfter events between restarts still gets one.
func TestPayloadDictCountSurvivesRestarts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "restarts.db")
	first, second := dictFirstAfter/2, dictFirstAfter/2+10
	for _, part := range []map[string][]byte{dictEvents(t, 0, first), dictEvents(t, first, second)} {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		recordAll(t, db, part)
		if err := db.Close(); err != nil { // waits for a training under way
			t.Fatal(err)
		}
	}
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var n int
	if err := ro.r.QueryRow(`SELECT count(*) FROM payload_dicts WHERE source = 'stripe'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d stripe dictionaries after two runs of %d and %d events, want 1", n, first, second)
	}
}
