package alerts

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// TestLogTransportIsReadable holds that with no Slack configured an alert
// reads in the log as its lines, one record each, with no "\n" escapes
// crammed into one line.
func TestLogTransportIsReadable(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLite(t)
	a, err := New(db, Config{Pace: -1, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, err := db.AlertMessages(ctx, true, 0)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("AlertMessages() = %d, %v; want the alerts", len(msgs), err)
	}
	var alertLines []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "msg=alert ") {
			alertLines = append(alertLines, line)
		}
		if strings.Contains(line, `\n`) {
			t.Errorf("log line holds an escaped newline: %s", line)
		}
	}
	want := 0
	for _, m := range msgs {
		want += len(strings.Split(strings.TrimRight(m.Text, "\n"), "\n"))
	}
	if want < 4 || len(alertLines) != want {
		t.Errorf("alert records = %d, want one per line of the messages (%d):\n%s", len(alertLines), want, buf.String())
	}
	if !strings.Contains(buf.String(), "Found 5 missing events") {
		t.Errorf("the log lacks the alert's text:\n%s", buf.String())
	}
}
