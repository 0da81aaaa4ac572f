package stripe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// minSlice is the shortest time slice a window is split into; windows
// shorter than this are listed by one worker.
const minSlice = time.Hour

// slicesPerWorker sets how finely a long window is cut, so that a busy
// slice does not leave the other workers idle at the end.
const slicesPerWorker = 4

// slice is a half-open range [gte, lt) of Unix seconds.
type slice struct{ gte, lt int64 }

// queuedPerWorker is how many fetched pages per worker may wait for the
// consumer; with one page in each worker's hand and one page per worker
// held back by pageOrder, a listing holds about three pages per worker.
const queuedPerWorker = 1

// pageResult is one page of slice, filtered to the window, or the error
// that ended the slice.
type pageResult struct {
	slice int
	items []sources.Listed
	err   error
	last  bool // the slice is complete after this page
}

// List yields every event Stripe lists with a creation time in w, each
// event once, with its full raw JSON as the API returned it. When the scope
// is a list of at most 20 types it asks Stripe for those types only. Long
// windows are cut into slices fetched by Config.Workers goroutines under
// the Config.RPS budget; pages are yielded as they arrive, so the order is
// newest first only until the slices interleave (see pageOrder), and about
// three pages per worker are held in memory. After an error (retries
// exhausted, a malformed event, the context ended) it yields
// (Listed{}, err) once and stops.
func (s *Source) List(ctx context.Context, w sources.Window) iter.Seq2[sources.Listed, error] {
	return func(yield func(sources.Listed, error) bool) {
		scope, err := s.Scope(ctx)
		if err != nil {
			yield(sources.Listed{}, fmt.Errorf("list events: %w", err))
			return
		}
		s.listSlices(ctx, w, typesFilter(scope), yield)
	}
}

func (s *Source) listSlices(ctx context.Context, w sources.Window, types []string, yield func(sources.Listed, error) bool) {
	slices := splitWindow(w, s.cfg.Workers*slicesPerWorker)
	if len(slices) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	pages := s.startWorkers(ctx, &wg, w, slices, types)
	order := newPageOrder(len(slices), s.cfg.Workers*PageSize, yield)
	for page := range pages {
		if page.err != nil {
			yield(sources.Listed{}, page.err)
			return
		}
		if !order.add(page.slice, page.items, page.last) {
			return
		}
	}
	if !order.complete() {
		// A worker stopped without finishing its slice: ctx ended.
		yield(sources.Listed{}, fmt.Errorf("list events: %w", cmp.Or(ctx.Err(), errInterrupted)))
	}
}

// startWorkers hands the slices, newest first, to Config.Workers
// goroutines that send their pages to the returned channel, closed when
// all of them have stopped. Every goroutine is counted in wg and stops
// when ctx ends.
func (s *Source) startWorkers(ctx context.Context, wg *sync.WaitGroup, w sources.Window, slices []slice, types []string) <-chan pageResult {
	workers := min(s.cfg.Workers, len(slices))
	pages := make(chan pageResult, workers*queuedPerWorker)
	jobs := make(chan int)
	wg.Go(func() {
		defer close(jobs)
		for i := range slices {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	})
	var running sync.WaitGroup
	for range workers {
		running.Go(func() {
			for i := range jobs {
				if !s.listSlice(ctx, w, i, slices[i], types, pages) {
					return
				}
			}
		})
	}
	wg.Go(func() { running.Wait(); close(pages) })
	return pages
}

// errInterrupted reports a slice that ended early for no known reason.
var errInterrupted = errors.New("listing interrupted")

// listSlice pages through slice i, sending each page to out. It returns
// false when the slice failed or ctx ended, true when the slice is done.
func (s *Source) listSlice(ctx context.Context, w sources.Window, i int, sl slice, types []string, out chan<- pageResult) bool {
	send := func(r pageResult) bool {
		r.slice = i
		select {
		case out <- r:
			return true
		case <-ctx.Done():
			return false
		}
	}
	q := pageQuery{gte: sl.gte, lt: sl.lt, types: types}
	for {
		page, err := s.api.listPage(ctx, q)
		if err != nil {
			send(pageResult{err: err}) // listPage names the call
			return false
		}
		items, last, err := listedOf(page, w, sl)
		if err != nil {
			send(pageResult{err: fmt.Errorf("list events: %w", err)})
			return false
		}
		done := !page.HasMore || last == ""
		if !send(pageResult{items: items, last: done}) {
			return false
		}
		if done {
			return true
		}
		q.startingAfter = last
	}
}

// listedOf turns a page into Listed values inside w and the slice sl (so
// that no event is yielded by two slices) and returns the id of the page's
// last event, the cursor for the next page.
func listedOf(page *rawPage, w sources.Window, sl slice) ([]sources.Listed, string, error) {
	items := make([]sources.Listed, 0, len(page.Data))
	last := ""
	for _, raw := range page.Data {
		env, err := ParseEnvelope(raw)
		if err != nil {
			return nil, "", err
		}
		last = env.ID
		if !w.Contains(env.CreatedAt()) || env.Created < sl.gte || env.Created >= sl.lt {
			continue // the API strayed outside the filter; never report it
		}
		items = append(items, env.listed([]byte(raw)))
	}
	return items, last, nil
}

// typesFilter returns the types[] filter for a scope, or nil when the
// scope is all types or too long for one request.
func typesFilter(scope sources.Scope) []string {
	if scope.AllTypes || len(scope.Types) == 0 || len(scope.Types) > maxTypesFilter {
		return nil
	}
	return scope.Types
}

// splitWindow cuts w into at most n slices of whole seconds, newest first.
// Stripe's created is in seconds, so [Since, Until) becomes
// [ceil(Since), ceil(Until)).
func splitWindow(w sources.Window, n int) []slice {
	gte, lt := max(ceilUnix(w.Since), 0), ceilUnix(w.Until)
	if lt <= gte {
		return nil
	}
	span := lt - gte
	count := min(int64(n), (span+int64(minSlice/time.Second)-1)/int64(minSlice/time.Second))
	count = max(count, 1)
	step := (span + count - 1) / count
	out := make([]slice, 0, count)
	for hi := lt; hi > gte; hi -= step {
		out = append(out, slice{gte: max(hi-step, gte), lt: hi})
	}
	return out
}

func ceilUnix(t time.Time) int64 {
	if t.Nanosecond() == 0 {
		return t.Unix()
	}
	return t.Unix() + 1
}
