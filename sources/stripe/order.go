package stripe

import "github.com/hookledger/hookledger/sources"

// pageOrder decides when the pages of a concurrent listing are yielded.
//
// The slices of a window are fetched at once, so their pages arrive
// interleaved; waiting for them in slice order would leave all but one
// worker idle. Reconcile accepts any order, but reads an interrupted
// listing's order to say how far back it is complete: while everything
// yielded came newest first, it takes the oldest event yielded as the
// point from which on the window is complete (reconcile's stopped_at). An
// older slice's page yielded while a newer slice is unfinished would make
// that claim false, so pageOrder keeps two modes:
//
//   - ordered: the pages of the newest unfinished slice (the head) are
//     yielded as they come; other slices' pages are held back, up to
//     holdLimit events, and yielded once their slice becomes the head.
//   - unordered: when more is held back than that, it leaves the ordered
//     mode visibly: it yields the oldest held event first and then one with
//     a later creation time, so the sequence is no longer newest first and
//     reconcile claims nothing from it. From then on every page is yielded
//     as it arrives and nothing is held.
//
// Held events all come from slices older than anything yielded, so the
// switch needs two held events of different seconds; until it has them it
// keeps holding (only a burst within one second of one slice can delay it).
// When the listing fails, held events are not yielded: they would again
// look like a complete newest-first stretch.
type pageOrder struct {
	yield     func(sources.Listed, error) bool
	done      []bool // slice i has sent its last page
	head      int    // newest slice not done, in ordered mode
	held      []heldPage
	nheld     int // events in held
	holdLimit int
	unordered bool
}

// heldPage is a non-empty page of a slice other than the head.
type heldPage struct {
	slice int
	items []sources.Listed
}

func newPageOrder(slices, holdLimit int, yield func(sources.Listed, error) bool) *pageOrder {
	return &pageOrder{yield: yield, done: make([]bool, slices), holdLimit: holdLimit}
}

// add takes one page of slice i and yields what may be yielded now. It
// returns false when the consumer stopped.
func (o *pageOrder) add(i int, items []sources.Listed, last bool) bool {
	if last {
		o.done[i] = true
	}
	switch {
	case o.unordered:
		return o.emit(items)
	case i == o.head:
		return o.emit(items) && o.advance()
	case len(items) > 0:
		o.held = append(o.held, heldPage{slice: i, items: items})
		o.nheld += len(items)
	}
	if o.nheld > o.holdLimit {
		return o.release()
	}
	return true
}

// complete reports whether every slice has sent its last page.
func (o *pageOrder) complete() bool {
	for _, d := range o.done {
		if !d {
			return false
		}
	}
	return true
}

// advance moves the head past finished slices, yielding the held pages of
// each new head in the order they arrived (a slice's own order).
func (o *pageOrder) advance() bool {
	for o.head < len(o.done) && o.done[o.head] {
		o.head++
		if o.head == len(o.done) {
			break
		}
		kept := o.held[:0]
		for _, p := range o.held {
			if p.slice != o.head {
				kept = append(kept, p)
				continue
			}
			o.nheld -= len(p.items)
			if !o.emit(p.items) {
				return false
			}
		}
		clear(o.held[len(kept):])
		o.held = kept
	}
	return true
}

// release switches to unordered mode when the held events span two
// seconds: the oldest goes first, then all the others.
func (o *pageOrder) release() bool {
	oldest, differs := o.oldestHeld()
	if !differs {
		return true
	}
	held := o.held
	o.held, o.nheld, o.unordered = nil, 0, true
	first := held[oldest.page].items[oldest.item]
	if !o.yield(first, nil) {
		return false
	}
	for pi, p := range held {
		for ii, l := range p.items {
			if pi == oldest.page && ii == oldest.item {
				continue
			}
			if !o.yield(l, nil) {
				return false
			}
		}
	}
	return true
}

// heldRef locates one held event.
type heldRef struct{ page, item int }

// oldestHeld returns the held event created first and whether any held
// event was created in another second.
func (o *pageOrder) oldestHeld() (heldRef, bool) {
	var ref heldRef
	first := o.held[0].items[0].CreatedAt
	differs := false
	for pi, p := range o.held {
		for ii, l := range p.items {
			if !l.CreatedAt.Equal(first) {
				differs = true
			}
			if l.CreatedAt.Before(o.held[ref.page].items[ref.item].CreatedAt) {
				ref = heldRef{pi, ii}
			}
		}
	}
	return ref, differs
}

func (o *pageOrder) emit(items []sources.Listed) bool {
	for _, l := range items {
		if !o.yield(l, nil) {
			return false
		}
	}
	return true
}
