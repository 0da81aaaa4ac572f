package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// traffic returns the traffic of a source that sent perHour(h) events in
// each Unix hour h from first up to (not including) end.
func traffic(first, end time.Time, perHour func(h int64) int) *ledger.SourceTraffic {
	tr := &ledger.SourceTraffic{Source: "stripe", FirstAt: first, Hours: map[int64]int{}}
	for h := unixHour(first); h < unixHour(end); h++ {
		if n := perHour(h); n > 0 {
			tr.Hours[h] = n
			tr.LastAt = time.Unix(h*3600+3599, 0).UTC()
		}
	}
	return tr
}

// TestSilenceLearnsEachSourcesRhythm protects the dead-man's switch from
// both failures: a steady source that stops is silent within hours, and a
// source that only ever sends in one hour of the day is not silent in the
// hours it never sends.
func TestSilenceLearnsEachSourcesRhythm(t *testing.T) {
	day0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	steady := func(int64) int { return 10 }
	nightly := func(h int64) int {
		if h%24 == 3 {
			return 100
		}
		return 0
	}
	tests := []struct {
		name  string
		tr    *ledger.SourceTraffic
		limit time.Duration
		now   time.Time
		want  string
	}{
		{"never sent", nil, 0, day0, SilenceNever},
		{"never sent, with a limit", nil, time.Hour, day0, SilenceNever},
		{"half a day of history", traffic(day0, day0.Add(12*time.Hour), steady), 0, day0.Add(20 * time.Hour), SilenceLearning},
		{"steady, quiet 30m", traffic(day0, day0.Add(72*time.Hour), steady), 0, day0.Add(72*time.Hour + 30*time.Minute), SilenceOK},
		{"steady, stopped 2h", traffic(day0, day0.Add(72*time.Hour), steady), 0, day0.Add(74 * time.Hour), SilenceSilent},
		{"nightly, 22h after the burst", traffic(day0, day0.Add(72*time.Hour), nightly), 0, day0.Add(72*time.Hour + 2*time.Hour), SilenceOK},
		{"nightly, burst missed", traffic(day0, day0.Add(72*time.Hour), nightly), 0, day0.Add(72*time.Hour + 5*time.Hour), SilenceSilent},
		{"limit not reached", traffic(day0, day0.Add(2*time.Hour), steady), 3 * time.Hour, day0.Add(4 * time.Hour), SilenceOK},
		{"limit passed", traffic(day0, day0.Add(2*time.Hour), steady), 90 * time.Minute, day0.Add(4 * time.Hour), SilenceSilent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := evaluateSilence("stripe", tc.tr, tc.limit, tc.now)
			if got.State != tc.want {
				t.Errorf("evaluateSilence() = %+v, want state %s", got, tc.want)
			}
		})
	}
}

// TestSilenceAlertsOnceAndResolvesOnTraffic protects the silence alert's
// lifecycle: one alert however many checks see the silence, saying when
// the last event came and what to check; resolved in its thread when
// traffic resumes; none for a source that never sent anything.
func TestSilenceAlertsOnceAndResolvesOnTraffic(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLiteWith(t, ledger.Options{Now: clk.Now})
	if _, err := db.SetMode(ctx, ledger.ModeLedgerOnly); err != nil { // processed on record: nothing is stuck
		t.Fatal(err)
	}
	a, err := New(db, Config{
		BotToken: "xoxb-test-token", Channel: "C0ALERTS", APIURL: f.srv.URL,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Pace: -1, Now: clk.Now, Logger: slog.New(slog.DiscardHandler),
		Silence: map[string]time.Duration{"stripe": time.Hour, "github": time.Hour},
		Sources: []string{"stripe", "github", "slack"},
	})
	if err != nil {
		t.Fatal(err)
	}
	record := func(id string) {
		t.Helper()
		if _, err := db.Record(ctx, &ledger.Event{Source: "stripe", EventID: id, Type: "invoice.paid", Payload: []byte(`{}`)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		if err := a.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	record("evt_1")
	clk.Add(50 * time.Minute)
	check()
	if n := f.postCount(); n != 0 {
		t.Fatalf("posts within the limit = %d, want 0", n)
	}
	for i := range 5 {
		clk.Add(time.Duration(i+1) * 20 * time.Minute)
		check()
	}
	if n := f.postCount(); n != 1 {
		t.Fatalf("posts over five checks of one silence = %d, want 1", n)
	}
	text := f.post(0).Get("text")
	for _, want := range []string{"stripe has sent nothing for", "last event arrived " + stamp(testStart),
		"limit set for it is 1h0m0s", "webhook endpoint is enabled", "hookledger status"} {
		if !strings.Contains(text, want) {
			t.Errorf("silence alert lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "github") || strings.Contains(text, "slack") {
		t.Errorf("silence alert names a source that never sent anything:\n%s", text)
	}
	record("evt_2")
	check()
	if n := f.postCount(); n != 2 || f.post(1).Get("thread_ts") == "" ||
		!strings.Contains(f.post(1).Get("text"), "arriving again") {
		t.Fatalf("after traffic resumed: posts = %d, last = %v, want a resolved reply in the thread", n, f.post(f.postCount()-1))
	}
	open, err := db.Alerts(ctx, ledger.AlertFilter{})
	if err != nil || len(open) != 0 {
		t.Errorf("open alerts after traffic resumed = %v, %v, want none", open, err)
	}
}

// TestSilenceLearnedNoFalseAlarm protects against a false alarm from the
// learned limit: a source with a steady day of history and a short pause
// raises nothing, and stopping for hours raises one alert naming what was
// usual.
func TestSilenceLearnedNoFalseAlarm(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLiteWith(t, ledger.Options{Now: clk.Now})
	if _, err := db.SetMode(ctx, ledger.ModeLedgerOnly); err != nil {
		t.Fatal(err)
	}
	a := newBotAlerter(t, db, f, clk)
	for i := range 30 * 6 { // 30 hours, 6 an hour
		if _, err := db.Record(ctx, &ledger.Event{Source: "github", EventID: fmt.Sprintf("g%d", i), Payload: []byte(`{}`)}, nil); err != nil {
			t.Fatal(err)
		}
		clk.Add(10 * time.Minute)
		if i%30 == 0 {
			if err := a.Check(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.Add(40 * time.Minute)
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.postCount(); n != 0 {
		t.Fatalf("posts for a steady source = %d, want 0: %s", n, f.post(0).Get("text"))
	}
	clk.Add(2 * time.Hour)
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.postCount(); n != 1 {
		t.Fatalf("posts after hours of silence = %d, want 1", n)
	}
	if text := f.post(0).Get("text"); !strings.Contains(text, "Usually about 6.0 events an hour") {
		t.Errorf("learned silence alert does not say what was usual:\n%s", text)
	}
}
