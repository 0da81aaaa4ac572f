package main

import (
	"encoding/json"
	"testing"
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
	if st.Alerts == nil || st.Jobs == nil {
		t.Errorf("status --json = %s, want open_alerts and jobs as arrays, not null", out)
	}
}
