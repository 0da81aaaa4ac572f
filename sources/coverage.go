package sources

import (
	"slices"
	"time"
)

// Coverage is the union of the Covered marks of a listing's pages: the
// parts of the window known to be listed completely. The zero Coverage
// covers nothing. It holds one span per disjoint stretch, so its size is
// bounded by how the lister marks (one per concurrent stream at most for
// the listers here), not by the number of events.
type Coverage struct {
	spans []Window // sorted by Since, disjoint and not touching, none empty
}

// Empty reports whether w holds no time at all.
func (w Window) Empty() bool { return !w.Since.Before(w.Until) }

// Add adds w to the coverage; an empty w changes nothing.
func (c *Coverage) Add(w Window) {
	if w.Empty() {
		return
	}
	// Find the spans w touches or overlaps, and replace them by their union.
	lo := 0
	for lo < len(c.spans) && c.spans[lo].Until.Before(w.Since) {
		lo++
	}
	hi := lo
	for hi < len(c.spans) && !c.spans[hi].Since.After(w.Until) {
		if c.spans[hi].Since.Before(w.Since) {
			w.Since = c.spans[hi].Since
		}
		if c.spans[hi].Until.After(w.Until) {
			w.Until = c.spans[hi].Until
		}
		hi++
	}
	c.spans = slices.Replace(c.spans, lo, hi, w)
}

// Covers reports whether t lies in a covered span.
func (c *Coverage) Covers(t time.Time) bool {
	for _, s := range c.spans {
		if s.Contains(t) {
			return true
		}
	}
	return false
}

// CompleteFrom returns the earliest time T, not before w.Since, such that
// all of [T, w.Until) is covered: w.Since when the whole window is, and
// w.Until when no stretch reaching w.Until is covered. It is where an
// interrupted newest-first listing got to (reconcile's stopped_at).
func (c *Coverage) CompleteFrom(w Window) time.Time {
	for _, s := range c.spans {
		if s.Since.After(w.Until) || s.Until.Before(w.Until) {
			continue
		}
		if s.Since.Before(w.Since) {
			return w.Since
		}
		return s.Since
	}
	return w.Until
}

// Spans returns the covered stretches, oldest first, disjoint.
func (c *Coverage) Spans() []Window { return slices.Clone(c.spans) }
