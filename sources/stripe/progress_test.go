package stripe

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/listertest"
)

// arrival is one page as a worker sends it.
type arrival struct {
	page sources.Page
}

// randomListing builds a random window cut into slices as List cuts it,
// each slice's events newest first in pages of random sizes, many seconds
// shared by several events (bursts that straddle pages), each page marked
// as listSlice marks it, and a random arrival order that keeps each
// slice's pages in order.
func randomListing(r *rand.Rand) (w sources.Window, all []sources.Listed, arrivals []arrival) {
	base := time.Unix(1_700_000_000, 0).UTC()
	w = sources.Window{Since: base.Add(-time.Duration(1+r.IntN(6)) * time.Hour).Add(-time.Duration(r.IntN(1000)) * time.Millisecond),
		Until: base.Add(time.Duration(r.IntN(1000)) * time.Millisecond)}
	var perSlice [][]arrival
	for _, sl := range splitWindow(w, 1+r.IntN(8)) {
		// Events newest first from the slice's end, in whole seconds.
		var evs []sources.Listed
		sec := sl.lt - 1
		for range r.IntN(12) {
			sec -= int64(r.IntN(3)) * int64(1+r.IntN(400))
			if sec < sl.gte {
				break
			}
			l := sources.Listed{EventID: fmt.Sprintf("evt_%d", len(all)), CreatedAt: time.Unix(sec, 0).UTC()}
			evs, all = append(evs, l), append(all, l)
		}
		var pages []arrival
		for {
			n := min(len(evs), 1+r.IntN(4))
			page, rest := evs[:n], evs[n:]
			done := len(rest) == 0
			var last *Envelope
			if n > 0 {
				last = &Envelope{Created: page[n-1].CreatedAt.Unix()}
			}
			pages = append(pages, arrival{page: sources.Page{Events: page, Covered: sl.covered(last, done)}})
			if evs = rest; done {
				break
			}
		}
		perSlice = append(perSlice, pages)
	}
	for len(perSlice) > 0 {
		k := r.IntN(len(perSlice))
		arrivals = append(arrivals, perSlice[k][0])
		if perSlice[k] = perSlice[k][1:]; len(perSlice[k]) == 0 {
			perSlice = append(perSlice[:k], perSlice[k+1:]...)
		}
	}
	return w, all, arrivals
}

// TestPageOrderNeverOverclaims feeds random interleavings of the slices'
// pages, marked as List marks them, into a Coverage, and checks after
// every page (where a listing could fail) that the union of the marks
// claims no time an unyielded event was created at, and that a finished
// listing yields every event exactly once and covers the whole window.
func TestPageOrderNeverOverclaims(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for run := range 3000 {
		w, all, arrivals := randomListing(r)
		truth := make(map[string]time.Time, len(all))
		for _, l := range all {
			truth[l.EventID] = l.CreatedAt
		}
		pages := func(yield func(sources.Page, error) bool) {
			for _, a := range arrivals {
				if !yield(a.page, nil) {
					return
				}
			}
		}
		got := listertest.Drain(pages, w, truth)
		if got.Overclaim != nil {
			t.Fatalf("run %d: %v", run, got.Overclaim)
		}
		for _, l := range all {
			if got.Seen[l.EventID] != 1 {
				t.Fatalf("run %d: %s yielded %d times, want 1", run, l.EventID, got.Seen[l.EventID])
			}
		}
		if from := got.Coverage.CompleteFrom(w); !from.Equal(w.Since) {
			t.Fatalf("run %d: finished listing complete from %v, want the window start %v (spans %v)", run, from, w.Since, got.Coverage.Spans())
		}
	}
}

func TestSliceCovered(t *testing.T) {
	sl := slice{gte: 100, lt: 200, span: sources.Window{Since: time.Unix(99, 5e8).UTC(), Until: time.Unix(199, 3e8).UTC()}}
	tests := []struct {
		name string
		last *Envelope
		done bool
		want sources.Window
	}{
		{"done: the whole span", &Envelope{Created: 150}, true, sl.span},
		{"empty last page", nil, true, sl.span},
		{"mid slice: the seconds after the last", &Envelope{Created: 150}, false, sources.Window{Since: time.Unix(151, 0).UTC(), Until: sl.span.Until}},
		{"at the slice's end: nothing yet", &Envelope{Created: 199}, false, sources.Window{}},
		{"a stray before the slice: the whole span", &Envelope{Created: 50}, false, sources.Window{Since: time.Unix(100, 0).UTC(), Until: sl.span.Until}},
	}
	for _, tt := range tests {
		if got := sl.covered(tt.last, tt.done); got != tt.want {
			t.Errorf("%s: covered() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
