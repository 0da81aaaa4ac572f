package reconcile

import (
	"slices"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// newestIDs keeps the ids of the limit newest events it is offered,
// newest first (at the same time, by id), so that a report's capped id
// list says the same whatever order the provider listed the events in.
type newestIDs struct {
	limit int
	kept  []keptID
}

// keptID is one kept event: its id and creation time.
type keptID struct {
	id string
	at time.Time
}

// add offers l and reports whether the kept ids changed.
func (n *newestIDs) add(l sources.Listed) bool {
	k := keptID{id: l.EventID, at: l.CreatedAt}
	i, _ := slices.BinarySearchFunc(n.kept, k, compareKept)
	if i >= n.limit {
		return false
	}
	n.kept = slices.Insert(n.kept, i, k)
	if len(n.kept) > n.limit {
		n.kept = n.kept[:n.limit]
	}
	return true
}

// ids returns the kept ids, newest first; empty, not nil, when none.
func (n *newestIDs) ids() []string {
	out := make([]string, len(n.kept))
	for i, k := range n.kept {
		out[i] = k.id
	}
	return out
}

// compareKept orders newer before older, then by id.
func compareKept(a, b keptID) int {
	if c := b.at.Compare(a.at); c != 0 {
		return c
	}
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}
