package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

// TestSharedOutboxIsPostedOnce: two Alerters on two handles of one ledger
// (two processes), delivering the same outbox at once to one Slack, post
// each message exactly once between them, replies in their parent's
// thread; on each backend.
func TestSharedOutboxIsPostedOnce(t *testing.T) {
	drivers := map[string]func() ledgertest.Driver{"sqlite": ledgertest.SQLite, "postgres": pgtest.Driver}
	for name, driver := range drivers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testSharedOutbox(t, driver())
		})
	}
}

func testSharedOutbox(t *testing.T, d ledgertest.Driver) {
	ctx := context.Background()
	const n, replies = 30, 6
	first := d.Open(t, nil)
	dbs := []ledgertest.Backend{first, d.Share(t, first, nil)}
	var parents []*ledger.AlertMessage
	for i := range n {
		m := &ledger.AlertMessage{Source: "stripe", Text: fmt.Sprintf("message %02d", i)}
		if err := dbs[i%2].ApplyAlerts(ctx, ledger.AlertChange{Message: m}); err != nil {
			t.Fatal(err)
		}
		parents = append(parents, m)
	}
	for i := range replies {
		r := &ledger.AlertMessage{Source: "stripe", Kind: "resolved", Text: fmt.Sprintf("reply %02d", i), ParentID: parents[i*3].ID}
		if err := first.ApplyAlerts(ctx, ledger.AlertChange{Replies: []*ledger.AlertMessage{r}}); err != nil {
			t.Fatal(err)
		}
	}
	f := newFakeSlack(t)
	var wg sync.WaitGroup
	for i, db := range dbs {
		a, err := New(db, Config{
			BotToken: "xoxb-test-token", Channel: "C0ALERTS", APIURL: f.srv.URL + "/",
			HTTPClient: &http.Client{Timeout: 5 * time.Second}, Pace: -1, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // two rounds each, so the replies are delivered too
			wg.Go(func() {
				if _, err := a.Deliver(ctx); err != nil {
					t.Errorf("Deliver() #%d error = %v", i, err)
				}
			})
		}
	}
	wg.Wait()
	// A last pass picks up replies whose parent went out after both
	// rounds had looked.
	for _, db := range dbs {
		a, err := New(db, Config{BotToken: "xoxb-test-token", Channel: "C0ALERTS", APIURL: f.srv.URL + "/", Pace: -1,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
	}
	posted := map[string]int{}
	for i := range f.postCount() {
		p := f.post(i)
		posted[p.Get("text")]++
		if text := p.Get("text"); text[:5] == "reply" && p.Get("thread_ts") == "" {
			t.Errorf("%q posted outside its thread", text)
		}
	}
	if len(posted) != n+replies || f.postCount() != n+replies {
		t.Errorf("%d posts of %d texts, want %d, each once", f.postCount(), len(posted), n+replies)
	}
	for text, c := range posted {
		if c != 1 {
			t.Errorf("%q posted %d times, want once", text, c)
		}
	}
	if left, err := first.AlertMessages(ctx, false, 0); err != nil || len(left) != 0 {
		t.Errorf("outbox after delivery holds %d messages (%v), want none", len(left), err)
	}
}
