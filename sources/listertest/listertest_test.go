package listertest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/listertest"
)

func TestDrainFindsOverclaim(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0).UTC() }
	w := sources.Window{Since: at(0), Until: at(100)}
	truth := map[string]time.Time{"a": at(90), "b": at(50), "c": at(10)}
	honest := func(yield func(sources.Page, error) bool) {
		_ = yield(sources.Page{Events: []sources.Listed{{EventID: "a"}}, Covered: sources.Window{Since: at(60), Until: at(100)}}, nil) &&
			yield(sources.Page{}, errors.New("boom"))
	}
	l := listertest.Drain(honest, w, truth)
	if l.Overclaim != nil || l.Err == nil || l.Pages != 1 || l.Seen["a"] != 1 || !l.Coverage.CompleteFrom(w).Equal(at(60)) {
		t.Errorf("Drain(honest) = %+v, want one page, the error, no overclaim", l)
	}
	greedy := func(yield func(sources.Page, error) bool) {
		yield(sources.Page{Events: []sources.Listed{{EventID: "a"}}, Covered: sources.Window{Since: at(40), Until: at(100)}}, nil)
	}
	if l := listertest.Drain(greedy, w, truth); l.Overclaim == nil {
		t.Error("Drain(greedy) found no overclaim, want b claimed and not yielded")
	}
}
