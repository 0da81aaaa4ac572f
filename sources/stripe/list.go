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

// slice is a half-open range [gte, lt) of Unix seconds, and span, the
// part of the window it lists as a time range (its Covered mark once
// finished).
type slice struct {
	gte, lt int64
	span    sources.Window
}

// queuedPerWorker is how many fetched pages per worker may wait for the
// consumer; with one page in each worker's hand, a listing holds about two
// pages per worker.
const queuedPerWorker = 1

// pageResult is one page of a slice, filtered to the window, or the error
// that ended the slice.
type pageResult struct {
	page sources.Page
	err  error
	last bool // the slice is complete after this page
}

// List yields every event Stripe lists with a creation time in w, each
// event once, with its full raw JSON as the API returned it. When the scope
// is a list of at most 20 types it asks Stripe for those types only. Long
// windows are cut into slices fetched by Config.Workers goroutines under
// the Config.RPS budget, and pages are yielded as they arrive, so slices
// interleave; about two pages per worker are held in memory. Each page's
// Covered is the part of its slice finished so far: Stripe lists a slice
// newest first in whole seconds, so after a page whose last event was
// created in second c, everything from second c+1 to the slice's end has
// been yielded; after the slice's last page, the whole slice. After an
// error (retries exhausted, a malformed event, the context ended) it
// yields (Page{}, err) once and stops.
func (s *Source) List(ctx context.Context, w sources.Window) iter.Seq2[sources.Page, error] {
	return func(yield func(sources.Page, error) bool) {
		scope, err := s.Scope(ctx)
		if err != nil {
			yield(sources.Page{}, fmt.Errorf("list events: %w", err))
			return
		}
		s.listSlices(ctx, w, typesFilter(scope), yield)
	}
}

func (s *Source) listSlices(ctx context.Context, w sources.Window, types []string, yield func(sources.Page, error) bool) {
	slices := splitWindow(w, s.cfg.Workers*slicesPerWorker)
	if len(slices) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	pages := s.startWorkers(ctx, &wg, w, slices, types)
	finished := 0
	for r := range pages {
		if r.err != nil {
			yield(sources.Page{}, r.err)
			return
		}
		if r.last {
			finished++
		}
		if !yield(r.page, nil) {
			return
		}
	}
	if finished < len(slices) {
		// A worker stopped without finishing its slice: ctx ended.
		yield(sources.Page{}, fmt.Errorf("list events: %w", cmp.Or(ctx.Err(), errInterrupted)))
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
				if !s.listSlice(ctx, w, slices[i], types, pages) {
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

// listSlice pages through slice sl, sending each page to out. It returns
// false when the slice failed or ctx ended, true when the slice is done.
func (s *Source) listSlice(ctx context.Context, w sources.Window, sl slice, types []string, out chan<- pageResult) bool {
	send := func(r pageResult) bool {
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
		done := !page.HasMore || last == nil
		if !send(pageResult{page: sources.Page{Events: items, Covered: sl.covered(last, done)}, last: done}) {
			return false
		}
		if done {
			return true
		}
		q.startingAfter = last.ID
	}
}

// covered returns the part of sl known complete after a page whose last
// event is last: all of it when done, else the seconds after last's (more
// events of that second may follow on the next page).
func (sl slice) covered(last *Envelope, done bool) sources.Window {
	if done {
		return sl.span
	}
	since := time.Unix(max(last.Created+1, sl.gte), 0).UTC()
	if !since.Before(sl.span.Until) {
		return sources.Window{}
	}
	return sources.Window{Since: later(since, sl.span.Since), Until: sl.span.Until}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// listedOf turns a page into Listed values inside w and the slice sl (so
// that no event is yielded by two slices) and returns the envelope of the
// page's last event, the cursor for the next page (nil for an empty page).
func listedOf(page *rawPage, w sources.Window, sl slice) ([]sources.Listed, *Envelope, error) {
	items := make([]sources.Listed, 0, len(page.Data))
	var last *Envelope
	for _, raw := range page.Data {
		env, err := ParseEnvelope(raw)
		if err != nil {
			return nil, nil, err
		}
		last = &env
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
// [ceil(Since), ceil(Until)). The slices' spans tile w exactly.
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
		lo := max(hi-step, gte)
		sl := slice{gte: lo, lt: hi, span: sources.Window{Since: time.Unix(lo, 0).UTC(), Until: time.Unix(hi, 0).UTC()}}
		if lo == gte {
			sl.span.Since = w.Since
		}
		if hi == lt {
			sl.span.Until = w.Until
		}
		out = append(out, sl)
	}
	return out
}

func ceilUnix(t time.Time) int64 {
	if t.Nanosecond() == 0 {
		return t.Unix()
	}
	return t.Unix() + 1
}
