// Package listertest checks a sources.Lister's listing against what the
// provider (a fake) really holds, in the style of testing/fstest: it
// drains the pages and reports, rather than failing a test itself, so any
// provider's tests can use it.
package listertest

import (
	"fmt"
	"iter"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// Listing is what Drain saw of one listing.
type Listing struct {
	Pages    int              // pages yielded before the end or the error
	Seen     map[string]int   // how often each event id was yielded
	Coverage sources.Coverage // the union of the pages' Covered marks
	Err      error            // the listing's error; nil when it ended cleanly
	// Overclaim is the first progress mark that claimed a time at which an
	// event of the truth was created and not yet yielded; nil when none.
	Overclaim error
}

// Drain reads pages to the end or to the listing's error. After every page
// it checks the listing contract's progress rule against truth (every
// event the provider holds: id → creation time): the union of the marks
// so far may claim no time in w at which an event was created that has not
// been yielded yet. It stops at the first overclaim.
func Drain(pages iter.Seq2[sources.Page, error], w sources.Window, truth map[string]time.Time) Listing {
	l := Listing{Seen: map[string]int{}}
	for p, err := range pages {
		if err != nil {
			l.Err = err
			break
		}
		l.Pages++
		for _, e := range p.Events {
			l.Seen[e.EventID]++
		}
		l.Coverage.Add(p.Covered)
		if l.Overclaim = l.check(w, truth); l.Overclaim != nil {
			break
		}
	}
	return l
}

func (l *Listing) check(w sources.Window, truth map[string]time.Time) error {
	for id, at := range truth {
		if w.Contains(at) && l.Coverage.Covers(at) && l.Seen[id] == 0 {
			return fmt.Errorf("after page %d the marks %v claim %v, but %s created then is not yielded",
				l.Pages, l.Coverage.Spans(), at, id)
		}
	}
	return nil
}
