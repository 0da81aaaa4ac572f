package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

func TestStatusJSON(t *testing.T) {
	w := newProcessWorld(t, 2)
	if _, err := w.run(t, nil, "process"); err != nil {
		t.Fatal(err)
	}
	out, err := w.run(t, nil, "status", "--json")
	if err != nil {
		t.Fatalf("status --json: %v", err)
	}
	var st struct {
		Sources map[string]struct {
			Counts map[string]int `json:"counts"`
			Total  int            `json:"total"`
			// Silence is the dead-man's switch (issue 16).
			Silence *struct {
				State       string     `json:"state"`
				LastEventAt *time.Time `json:"last_event_at"`
			} `json:"silence"`
		} `json:"sources"`
		Alerts []json.RawMessage `json:"open_alerts"`
		Jobs   []json.RawMessage `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json is not one object (%v):\n%s", err, out)
	}
	if s := st.Sources["stripe"]; s.Total != 2 || s.Counts["processed"] != 2 {
		t.Errorf("stripe status = %+v, want 2 events, both processed", s)
	}
	if s := st.Sources["stripe"].Silence; s == nil || s.State != "learning" || s.LastEventAt == nil {
		t.Errorf("stripe silence = %+v, want learning (a few minutes of history) with its last event", s)
	}
	if st.Alerts == nil || st.Jobs == nil {
		t.Errorf("status --json = %s, want open_alerts and jobs as arrays, not null", out)
	}
}

// TestStatusShowsRejections: rejected requests are kept as counts per
// source, reason and minute; status sums the last day's and shows the
// latest sample.
func TestStatusShowsRejections(t *testing.T) {
	w := newProcessWorld(t, 0)
	db, err := ledger.Open(context.Background(), w.dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 5 {
		db.RecordRejection(ledger.Rejection{Source: "stripe", Reason: "signature", Status: 401,
			At: now.Add(-time.Duration(i) * time.Minute), RemoteAddr: fmt.Sprintf("192.0.2.%d:1", i), Error: "no valid v1 signature"})
	}
	db.RecordRejection(ledger.Rejection{Source: "stripe", Reason: "signature", Status: 401, At: now.Add(-48 * time.Hour)})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := w.run(t, nil, "status", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Rejections []app.RejectionStatus `json:"rejections"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Rejections) != 1 || st.Rejections[0].Count != 5 || st.Rejections[0].LastRemoteAddr != "192.0.2.0:1" {
		t.Errorf("status rejections = %+v, want 5 signature rejections in the last day, last from 192.0.2.0:1", st.Rejections)
	}
	human, err := w.run(t, nil, "status")
	if err != nil || !strings.Contains(human, "signature") || !strings.Contains(human, "192.0.2.0:1") {
		t.Errorf("status = %q, %v; want the rejections listed", human, err)
	}
}
