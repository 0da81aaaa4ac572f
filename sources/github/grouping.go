package github

import (
	"strconv"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// attempt is one row of a hook's deliveries list: one try at sending one
// event (GUID). Redelivered events have several rows with the same GUID.
type attempt struct {
	ID         int64
	GUID       string
	Event      string
	At         time.Time
	Redelivery bool
	Status     int // the status code GitHub recorded for this attempt
}

// openGUID is a GUID seen only through redeliveries so far.
type openGUID struct {
	latestID int64     // delivery id of the newest attempt: the Ref
	status   int       // the newest attempt's status code
	event    string    // event type
	earliest time.Time // oldest attempt seen
}

// grouper turns delivery rows, newest first, into one Listed per GUID.
//
// A GUID is yielded when its original attempt (redelivery false, the oldest
// row) arrives, with CreatedAt the original's delivered_at, so an event is
// placed in the window by when GitHub first sent it, and Ref the newest
// attempt's id. Redeliveries come before their original in the list and
// may sit pages earlier; they wait in open, which holds only GUIDs whose
// original is still to come, at most maxOpen of them. GUIDs already yielded
// are remembered in a bounded recent set so a row seen twice (a page that
// shifted under the cursor) does not yield its GUID again.
type grouper struct {
	w       sources.Window
	account string
	open    map[string]openGUID
	maxOpen int
	done    *recentSet
}

func newGrouper(w sources.Window, account string) *grouper {
	return &grouper{
		w:       w,
		account: account,
		open:    make(map[string]openGUID),
		maxOpen: 50_000,
		done:    newRecentSet(8192),
	}
}

// add takes the next row and appends to out the events now complete and
// inside the window.
func (g *grouper) add(a attempt, out []sources.Listed) []sources.Listed {
	if a.GUID == "" || g.done.has(a.GUID) {
		return out
	}
	o, seen := g.open[a.GUID]
	if !seen {
		o = openGUID{latestID: a.ID, event: a.Event, status: a.Status}
	}
	o.earliest = a.At
	if a.Redelivery {
		if !seen && len(g.open) >= g.maxOpen {
			out = g.evictOne(out)
		}
		g.open[a.GUID] = o
		return out
	}
	delete(g.open, a.GUID)
	return g.finish(a.GUID, o, out)
}

// finish marks guid yielded and appends it when it falls in the window.
func (g *grouper) finish(guid string, o openGUID, out []sources.Listed) []sources.Listed {
	g.done.add(guid)
	if !g.w.Contains(o.earliest) {
		return out
	}
	return append(out, sources.Listed{
		EventID:   guid,
		Type:      o.event,
		CreatedAt: o.earliest,
		Account:   g.account,
		Ref:       strconv.FormatInt(o.latestID, 10),
		Status:    o.status,
	})
}

// evictOne gives up waiting for one open GUID's original, judging it by its
// oldest attempt seen, to keep memory bounded.
func (g *grouper) evictOne(out []sources.Listed) []sources.Listed {
	for guid, o := range g.open {
		delete(g.open, guid)
		return g.finish(guid, o, out)
	}
	return out
}

// flush is called when the whole list was read: GUIDs whose original
// attempt is gone (aged out) are judged by their oldest attempt.
func (g *grouper) flush(out []sources.Listed) []sources.Listed {
	for guid, o := range g.open {
		delete(g.open, guid)
		out = g.finish(guid, o, out)
	}
	return out
}

// recentSet remembers the last n strings added.
type recentSet struct {
	ring []string
	next int
	set  map[string]struct{}
}

func newRecentSet(n int) *recentSet {
	return &recentSet{ring: make([]string, n), set: make(map[string]struct{}, n)}
}

func (r *recentSet) has(s string) bool {
	_, ok := r.set[s]
	return ok
}

func (r *recentSet) add(s string) {
	if r.has(s) {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = s
	r.set[s] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}
