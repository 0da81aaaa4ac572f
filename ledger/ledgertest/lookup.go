package ledgertest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func recordN(t *testing.T, db Backend, n int, prefix string, created time.Time, origin ledger.Origin) {
	t.Helper()
	for i := range n {
		ev := NewEvent(fmt.Sprintf("%s%04d", prefix, i))
		ev.CreatedAt, ev.Origin = created, origin
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatalf("Record() error = %v", err)
		}
	}
}

func testKnownAcrossChunks(t *testing.T, d Driver) {
	db := d.open(t)
	recordN(t, db, 700, "evt_", time.Unix(1700000000, 0), ledger.OriginWebhook)
	var ids []string
	for i := 0; i < 1400; i += 2 { // every other id exists; 700 ids span two chunks
		ids = append(ids, fmt.Sprintf("evt_%04d", i))
	}
	got, err := db.Known(context.Background(), "stripe", ids)
	if err != nil {
		t.Fatalf("Known() error = %v", err)
	}
	if len(got) != 350 || !got["evt_0698"] || got["evt_0700"] {
		t.Errorf("Known() = %d ids (evt_0698 %v, evt_0700 %v), want 350, true, false",
			len(got), got["evt_0698"], got["evt_0700"])
	}
	if got, _ := db.Known(context.Background(), "github", ids); len(got) != 0 {
		t.Errorf("Known(github) = %d ids, want 0 (other source)", len(got))
	}
	if n, err := db.CountPresent(context.Background(), "stripe", append(ids, "evt_0698")); err != nil || n != 350 {
		t.Errorf("CountPresent() = %d, %v; want 350 (a repeated id counts once)", n, err)
	}
}

func testWindowStats(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	in := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	recordN(t, db, 3, "evt_in", in, ledger.OriginWebhook)
	recordN(t, db, 2, "evt_out", in.Add(-48*time.Hour), ledger.OriginWebhook)
	stats, err := db.WindowStats(ctx, "stripe", in.Add(-time.Hour), in.Add(time.Hour), time.Now().Add(time.Hour), 2)
	if err != nil {
		t.Fatalf("WindowStats() error = %v", err)
	}
	// Received before the cutoff: all three are due (had their time), none processed.
	want := ledger.WindowStats{Pending: 3, Stuck: 3, Due: 3, StuckIDs: []string{"evt_in0000", "evt_in0001"}}
	if !reflect.DeepEqual(stats, want) {
		t.Errorf("WindowStats() = %+v, want %+v", stats, want)
	}
	stats, err = db.WindowStats(ctx, "stripe", in.Add(-time.Hour), in.Add(time.Hour), time.Now().Add(-time.Hour), 2)
	if err != nil || stats.Stuck != 0 || stats.Pending != 3 || stats.Due != 0 {
		t.Errorf("WindowStats(recent cutoff) = %+v, %v; want 3 pending, 0 stuck, 0 due", stats, err)
	}
}

var lookupCases = []testCase{
	{"KnownAcrossChunks", testKnownAcrossChunks},
	{"WindowStats", testWindowStats},
}
