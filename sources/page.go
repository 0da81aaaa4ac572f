package sources

import (
	"iter"
	"time"
)

// Page is one step of a listing (see Lister): the events one response of
// the provider's list API returned, and the progress the listing has made
// once they are yielded.
type Page struct {
	// Events are the events of this page, in any order; empty for a page
	// that only reports progress.
	Events []Listed
	// Covered is a part of the window of which every event has now been
	// yielded, by this page or an earlier one. Marks add up: the listing's
	// progress is the union of every page's Covered (see Coverage). The
	// zero Window claims nothing.
	Covered Window
}

// Flatten returns the events of pages one by one, for callers that need
// the events of a listing and not its progress. Like the pages, it yields
// (Listed{}, err) once after an error and stops.
func Flatten(pages iter.Seq2[Page, error]) iter.Seq2[Listed, error] {
	return func(yield func(Listed, error) bool) {
		for p, err := range pages {
			if err != nil {
				yield(Listed{}, err)
				return
			}
			for _, l := range p.Events {
				if !yield(l, nil) {
					return
				}
			}
		}
	}
}

// Skewed is implemented by a Lister whose provider dates an event earlier
// than the ledger dates the same event received live: GitHub lists a
// delivery at the time it was sent, the receiver dates it on receipt.
// Reconcile then lists DateSkew before a window's start, so that an event
// received just inside the window but sent just before it is known to the
// provider rather than taken for unknown. Events listed before the window
// are never expected.
type Skewed interface {
	// DateSkew returns how much earlier the provider may date an event
	// than the ledger does; not negative.
	DateSkew() time.Duration
}
