package reconcile

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// TestNewestIDsIgnoreListingOrder offers the same events in many orders:
// the kept ids must always be the newest, newest first, ties by id.
func TestNewestIDsIgnoreListingOrder(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	evs := []sources.Listed{
		{EventID: "e", CreatedAt: base.Add(5 * time.Second)},
		{EventID: "d", CreatedAt: base.Add(4 * time.Second)},
		{EventID: "c2", CreatedAt: base.Add(3 * time.Second)},
		{EventID: "c1", CreatedAt: base.Add(3 * time.Second)},
		{EventID: "b", CreatedAt: base.Add(2 * time.Second)},
		{EventID: "a", CreatedAt: base.Add(time.Second)},
	}
	want := []string{"e", "d", "c1", "c2"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		n := newestIDs{limit: 4}
		for _, l := range evs {
			n.add(l)
		}
		if got := n.ids(); !reflect.DeepEqual(got, want) {
			t.Fatalf("ids() = %v after %v, want %v", got, evs, want)
		}
	}
	if got := (&newestIDs{limit: 3}).ids(); got == nil || len(got) != 0 {
		t.Errorf("ids() of nothing = %#v, want an empty list", got)
	}
}
