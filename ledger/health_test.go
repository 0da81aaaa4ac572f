package ledger

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHealthFollowsTheWriter: Health reports whether the writer commits,
// not whether a read answers. A failed commit makes it fail at once; once
// writes work again, its next probe makes it healthy.
func TestHealthFollowsTheWriter(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if err := db.Health(ctx); err != nil {
		t.Fatalf("Health() of a fresh ledger = %v, want nil", err)
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA query_only = ON"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Record(ctx, &Event{Source: "stripe", EventID: "evt_h", Payload: []byte("{}")}, nil); err == nil {
		t.Fatal("Record() on a read-only writer succeeded")
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping() = %v: reads still work, which is why Ping cannot tell", err)
	}
	if err := db.Health(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Health() after a failed commit = %v, want ErrUnavailable", err)
	}
	time.Sleep(probeSpacing + 50*time.Millisecond)
	if err := db.Health(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Health() probing a read-only writer = %v, want ErrUnavailable", err)
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA query_only = OFF"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(probeSpacing + 50*time.Millisecond)
	if err := db.Health(ctx); err != nil {
		t.Errorf("Health() once writes work again = %v, want nil", err)
	}
	db.Close()
	if err := db.Health(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Health() after Close = %v, want ErrClosed", err)
	}
}
