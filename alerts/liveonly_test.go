package alerts

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// TestCheckSaysLiveOnly: an alert about a live-only source says that
// reconcile cannot check it, and one about a listable source does not.
func TestCheckSaysLiveOnly(t *testing.T) {
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLiteWith(t, ledger.Options{Now: clk.Now})
	note := "Slack has no API that lists past events: gaps there are caught by silence and counts, not by reconcile"
	a, err := New(db, Config{
		BotToken: "xoxb-test-token", Channel: "C0ALERTS", APIURL: f.srv.URL,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, LiveOnly: map[string]string{"slack": note},
		Pace: -1, Now: clk.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	setStates(t, db, "slack", map[string]ledger.State{"Ev1": ledger.StateDead})
	setStates(t, db, "stripe", map[string]ledger.State{"evt_1": ledger.StateDead})
	if err := a.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 2 {
		t.Fatalf("posts = %d, want one per source", f.postCount())
	}
	for i := range 2 {
		text := f.post(i).Get("text")
		isSlack := strings.Contains(text, "`Ev1`")
		if strings.Contains(text, "live-only: "+note) != isSlack {
			t.Errorf("message %d (slack %v) and the live-only note disagree:\n%s", i, isSlack, text)
		}
	}
}
