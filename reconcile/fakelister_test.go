package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// sliceLister is a provider whose list API is an in-memory slice, newest
// first. It stands in for a provider in the pure diff tests; the provider
// packages' own fakes drive the end-to-end tests.
type sliceLister struct {
	name      string
	events    []sources.Listed
	scope     sources.Scope
	retention time.Duration
	failAfter int // yield an error after this many events; 0: never
	// redeliver, when set, is what Redeliver does (e.g. record the event as
	// the receiver would); nil means redelivery is not supported.
	redeliver func(ctx context.Context, l sources.Listed) error

	mu      sync.Mutex
	fetched int
}

var _ sources.Lister = (*sliceLister)(nil)

func newSliceLister(name string, events []sources.Listed) *sliceLister {
	sort.SliceStable(events, func(i, j int) bool { return events[i].CreatedAt.After(events[j].CreatedAt) })
	return &sliceLister{name: name, events: events, scope: sources.Scope{AllTypes: true, Note: "all"},
		retention: 30 * 24 * time.Hour}
}

func (s *sliceLister) Name() string { return s.name }

func (s *sliceLister) Verify(http.Header, []byte) (*ledger.Event, error) {
	return nil, errors.New("not a receiver")
}

func (s *sliceLister) Scope(context.Context) (sources.Scope, error) { return s.scope, nil }

func (s *sliceLister) Retention() time.Duration { return s.retention }

// List yields the events of w newest first, pageSize a page, each page
// marked as a newest-first provider marks it: covered from its oldest
// event on when the next event is older, else from just after it.
func (s *sliceLister) List(ctx context.Context, w sources.Window) iter.Seq2[sources.Page, error] {
	return func(yield func(sources.Page, error) bool) {
		in := s.inWindow(w)
		for n := 0; n < len(in); {
			if s.failAfter > 0 && n == s.failAfter {
				yield(sources.Page{}, errors.New("list events: 500 internal server error"))
				return
			}
			end := min(n+pageSize, len(in))
			if s.failAfter > n {
				end = min(end, s.failAfter)
			}
			page := sources.Page{Events: in[n:end], Covered: w}
			if end < len(in) {
				oldest := in[end-1].CreatedAt
				if !in[end].CreatedAt.Before(oldest) {
					oldest = oldest.Add(time.Nanosecond) // more of its time follow
				}
				page.Covered = sources.Window{Since: oldest, Until: w.Until}
			}
			if !yield(page, nil) {
				return
			}
			n = end
		}
	}
}

// inWindow returns the events created in w, newest first.
func (s *sliceLister) inWindow(w sources.Window) []sources.Listed {
	var in []sources.Listed
	for _, l := range s.events {
		if w.Contains(l.CreatedAt) {
			in = append(in, l)
		}
	}
	return in
}

// pageSize is how many events a page of sliceLister holds.
const pageSize = 3

func (s *sliceLister) Fetch(ctx context.Context, l sources.Listed) (*ledger.Event, error) {
	s.mu.Lock()
	s.fetched++
	s.mu.Unlock()
	return s.event(l), nil
}

func (s *sliceLister) event(l sources.Listed) *ledger.Event {
	return &ledger.Event{
		Source: s.name, EventID: l.EventID, Type: l.Type, CreatedAt: l.CreatedAt,
		Payload: fmt.Appendf(nil, `{"id":%q,"type":%q}`, l.EventID, l.Type), Origin: ledger.OriginReconcile,
	}
}

func (s *sliceLister) Redeliver(ctx context.Context, l sources.Listed) error {
	if s.redeliver == nil {
		return fmt.Errorf("redeliver: %w", sources.ErrNotSupported)
	}
	return s.redeliver(ctx, l)
}
