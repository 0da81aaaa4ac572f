package github

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
)

func TestGrouper(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	w := sources.Window{Since: at(0), Until: at(60)}
	// Rows are newest first; page boundaries do not matter to the grouper,
	// which keeps its state across pages.
	tests := []struct {
		name    string
		rows    []attempt
		flush   bool
		want    []string // "guid@minute ref"
		maxOpen int
	}{
		{
			name: "one attempt each",
			rows: []attempt{{ID: 2, GUID: "b", At: at(20)}, {ID: 1, GUID: "a", At: at(10)}},
			want: []string{"b@20 2", "a@10 1"},
		},
		{
			name: "redelivery first, original later: once, original time, latest ref",
			rows: []attempt{{ID: 9, GUID: "a", At: at(50), Redelivery: true}, {ID: 5, GUID: "a", At: at(40), Redelivery: true}, {ID: 2, GUID: "b", At: at(20)}, {ID: 1, GUID: "a", At: at(10)}},
			want: []string{"b@20 2", "a@10 9"},
		},
		{
			name: "original before the window: skipped although redelivered inside",
			rows: []attempt{{ID: 9, GUID: "a", At: at(30), Redelivery: true}, {ID: 1, GUID: "a", At: at(-5)}},
			want: nil,
		},
		{
			name: "original inside, redelivered after the window: counted",
			rows: []attempt{{ID: 9, GUID: "a", At: at(90), Redelivery: true}, {ID: 1, GUID: "a", At: at(59)}},
			want: []string{"a@59 9"},
		},
		{
			name: "after the window: not counted",
			rows: []attempt{{ID: 1, GUID: "a", At: at(60)}},
			want: nil,
		},
		{
			name: "same row twice: once",
			rows: []attempt{{ID: 1, GUID: "a", At: at(10)}, {ID: 1, GUID: "a", At: at(10)}},
			want: []string{"a@10 1"},
		},
		{
			name:  "original aged out: judged by oldest attempt at the end",
			rows:  []attempt{{ID: 9, GUID: "a", At: at(30), Redelivery: true}, {ID: 8, GUID: "a", At: at(20), Redelivery: true}},
			flush: true,
			want:  []string{"a@20 9"},
		},
		{
			name: "open GUIDs without an original are dropped when the listing stopped early",
			rows: []attempt{{ID: 9, GUID: "a", At: at(30), Redelivery: true}},
			want: nil,
		},
		{
			name:    "open set full: one evicted, judged by its oldest attempt",
			rows:    []attempt{{ID: 9, GUID: "a", At: at(30), Redelivery: true}, {ID: 8, GUID: "b", At: at(20), Redelivery: true}},
			maxOpen: 1,
			want:    []string{"a@30 9"},
		},
		{
			name: "no guid: ignored",
			rows: []attempt{{ID: 1, At: at(10)}},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGrouper(w, "octo/hello:12")
			if tt.maxOpen > 0 {
				g.maxOpen = tt.maxOpen
			}
			var got []string
			var out []sources.Listed
			for _, r := range tt.rows {
				out = g.add(r, out[:0])
				got = append(got, render(out, base)...)
			}
			if tt.flush {
				got = append(got, render(g.flush(nil), base)...)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("grouped = %q, want %q", got, tt.want)
			}
		})
	}
}

func render(ls []sources.Listed, base time.Time) []string {
	var out []string
	for _, l := range ls {
		if l.Account != "octo/hello:12" {
			panic("account " + l.Account)
		}
		min := int(l.CreatedAt.Sub(base) / time.Minute)
		out = append(out, strings.Join([]string{l.EventID + "@" + strconv.Itoa(min), l.Ref}, " "))
	}
	return out
}

func TestRecentSetForgetsOldest(t *testing.T) {
	r := newRecentSet(2)
	r.add("a")
	r.add("b")
	r.add("b")
	r.add("c")
	if r.has("a") || !r.has("b") || !r.has("c") {
		t.Errorf("recent set after a,b,b,c: a=%v b=%v c=%v, want false true true", r.has("a"), r.has("b"), r.has("c"))
	}
}
