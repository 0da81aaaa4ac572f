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

func (s *sliceLister) List(ctx context.Context, w sources.Window) iter.Seq2[sources.Listed, error] {
	return func(yield func(sources.Listed, error) bool) {
		n := 0
		for _, l := range s.events {
			if !w.Contains(l.CreatedAt) {
				continue
			}
			if s.failAfter > 0 && n == s.failAfter {
				yield(sources.Listed{}, errors.New("list events: 500 internal server error"))
				return
			}
			n++
			if !yield(l, nil) {
				return
			}
		}
	}
}

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
