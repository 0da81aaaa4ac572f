package stripe

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// arrival is one page as a worker sends it.
type arrival struct {
	slice int
	items []sources.Listed
	last  bool
}

// orderClaim is what reconcile concludes from a yielded prefix: when the
// prefix is newest first, that the window is complete from its oldest
// event on (diff.go's track and stoppedAt).
func orderClaim(got []sources.Listed) (time.Time, bool) {
	var oldest time.Time
	for _, l := range got {
		if !oldest.IsZero() && l.CreatedAt.After(oldest) {
			return time.Time{}, false
		}
		if oldest.IsZero() || l.CreatedAt.Before(oldest) {
			oldest = l.CreatedAt
		}
	}
	return oldest, !oldest.IsZero()
}

// checkClaim fails when the prefix claims completeness from t on while an
// event created after t is not in it.
func checkClaim(t *testing.T, all, got []sources.Listed, label string) {
	t.Helper()
	claim, ok := orderClaim(got)
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, l := range got {
		seen[l.EventID] = true
	}
	for _, l := range all {
		if l.CreatedAt.After(claim) && !seen[l.EventID] {
			t.Fatalf("%s: prefix of %d claims complete from %v, but %s (%v) is missing", label, len(got), claim, l.EventID, l.CreatedAt)
		}
	}
}

// randomListing builds slices of random pages, newest slice first, events
// newest first within each, some seconds shared by several events, and a
// random arrival order that keeps each slice's pages in order.
func randomListing(r *rand.Rand) (all []sources.Listed, arrivals []arrival, slices int) {
	slices = 1 + r.IntN(6)
	base := time.Unix(1_700_000_000, 0)
	var perSlice [][]arrival
	for s := range slices {
		var pages []arrival
		hi := base.Add(-time.Duration(s) * time.Hour)
		for p, n := 0, r.IntN(4); p <= n; p++ {
			var items []sources.Listed
			for range r.IntN(5) {
				hi = hi.Add(-time.Duration(r.IntN(3)) * time.Second)
				l := sources.Listed{EventID: fmt.Sprintf("evt_%d", len(all)), CreatedAt: hi}
				items = append(items, l)
				all = append(all, l)
			}
			pages = append(pages, arrival{slice: s, items: items, last: p == n})
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
	return all, arrivals, slices
}

// TestPageOrderNeverOverclaims feeds random interleavings to pageOrder and
// checks, after every page (where a listing could fail), that reconcile
// could not read a false completeness claim from what was yielded, and
// that a finished listing yields every event exactly once.
func TestPageOrderNeverOverclaims(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for run := range 3000 {
		all, arrivals, slices := randomListing(r)
		var got []sources.Listed
		o := newPageOrder(slices, r.IntN(6), func(l sources.Listed, err error) bool {
			got = append(got, l)
			return true
		})
		for i, a := range arrivals {
			if !o.add(a.slice, a.items, a.last) {
				t.Fatal("add() = false, the consumer never stops")
			}
			checkClaim(t, all, got, fmt.Sprintf("run %d after page %d", run, i))
		}
		if !o.complete() {
			t.Fatalf("run %d: complete() = false after every last page", run)
		}
		seen := map[string]int{}
		for _, l := range got {
			seen[l.EventID]++
		}
		for _, l := range all {
			if seen[l.EventID] != 1 {
				t.Fatalf("run %d: %s yielded %d times, want 1", run, l.EventID, seen[l.EventID])
			}
		}
		if len(got) != len(all) {
			t.Fatalf("run %d: yielded %d events, want %d", run, len(got), len(all))
		}
	}
}

func TestPageOrder(t *testing.T) {
	ev := func(id string, sec int64) sources.Listed {
		return sources.Listed{EventID: id, CreatedAt: time.Unix(sec, 0)}
	}
	tests := []struct {
		name      string
		holdLimit int
		arrivals  []arrival
		want      string // ids yielded after all arrivals
		ordered   bool   // the yielded sequence is newest first
	}{
		{"head pages in order", 10, []arrival{
			{0, []sources.Listed{ev("a", 9), ev("b", 8)}, false},
			{0, []sources.Listed{ev("c", 7)}, true},
			{1, []sources.Listed{ev("d", 5)}, true},
		}, "abcd", true},
		{"older slice held until the head is done", 10, []arrival{
			{1, []sources.Listed{ev("d", 5)}, false},
			{0, []sources.Listed{ev("a", 9)}, true},
			{1, []sources.Listed{ev("e", 4)}, true},
		}, "ade", true},
		{"over the limit: oldest first, then unordered", 1, []arrival{
			{1, []sources.Listed{ev("d", 5), ev("e", 4)}, false},
		}, "ed", false},
		{"same second held: still ordered", 1, []arrival{
			{1, []sources.Listed{ev("d", 5), ev("e", 5)}, false},
		}, "", true},
		{"empty head completes and releases held", 10, []arrival{
			{2, []sources.Listed{ev("f", 1)}, true},
			{1, []sources.Listed{ev("d", 5)}, true},
			{0, nil, true},
		}, "df", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []sources.Listed
			o := newPageOrder(3, tt.holdLimit, func(l sources.Listed, err error) bool {
				got = append(got, l)
				return true
			})
			ids := ""
			for _, a := range tt.arrivals {
				o.add(a.slice, a.items, a.last)
			}
			for _, l := range got {
				ids += l.EventID
			}
			_, claims := orderClaim(got)
			if ids != tt.want || (claims || len(got) == 0) != tt.ordered {
				t.Errorf("yielded %q (newest first %v), want %q (%v)", ids, claims, tt.want, tt.ordered)
			}
		})
	}
}
