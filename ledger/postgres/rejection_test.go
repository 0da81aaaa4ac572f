package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
)

// Two instances counting rejections of the same minute add up; the last
// sample is the latest of either.
func TestRejectionsAddUpAcrossInstances(t *testing.T) {
	t.Parallel()
	a, url := openFresh(t)
	b := mustOpen(t, url, postgres.Options{})
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Minute).Add(10 * time.Second)
	for i := range 5 {
		a.RecordRejection(ledger.Rejection{Source: "stripe", Reason: "signature", Status: 401, At: at.Add(time.Duration(i) * time.Second), Error: "from a"})
	}
	b.RecordRejection(ledger.Rejection{Source: "stripe", Reason: "signature", Status: 401, At: at.Add(30 * time.Second), Error: "from b"})
	b.RecordRejection(ledger.Rejection{Source: "stripe", Reason: "malformed", Status: 400, At: at})
	if err := b.SyncRejections(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.SyncRejections(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := a.Rejections(ctx, "stripe", at.Add(-time.Hour), 0)
	if err != nil || len(got) != 2 {
		t.Fatalf("Rejections() = %+v, %v; want 2 rows", got, err)
	}
	for _, rc := range got {
		switch rc.Reason {
		case "signature":
			if rc.Count != 6 || rc.Last.Error != "from b" || !rc.Last.At.Equal(at.Add(30*time.Second)) {
				t.Errorf("signature = %+v, want 6 with b's sample last", rc)
			}
		case "malformed":
			if rc.Count != 1 || rc.Last.Status != 400 {
				t.Errorf("malformed = %+v", rc)
			}
		}
	}
	// The background flush commits without a sync.
	a.RecordRejection(ledger.Rejection{Source: "github", Reason: "signature", Status: 401})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := b.Rejections(ctx, "github", time.Now().Add(-time.Hour), 1); len(got) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a rejection was not flushed within 5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
