package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// Incremental returns the window of a scheduled incremental run for src:
// from its watermark (the latest end of its runs that left the window
// complete) minus the overlap, to now. With no watermark, or one older
// than the provider's retention, it starts at the retention horizon.
func (r *Reconciler) Incremental(ctx context.Context, src sources.Lister) (sources.Window, error) {
	now := r.now()
	horizon := now.Add(-src.Retention())
	mark, ok, err := r.db.Watermark(ctx, src.Name())
	if err != nil {
		return sources.Window{}, fmt.Errorf("incremental window: %w", err)
	}
	since := horizon
	if ok {
		since = later(mark.Add(-r.opts.Overlap), horizon)
	}
	return sources.Window{Since: since, Until: now}, nil
}

// Deep returns the window of a deep run for src: everything the provider
// still keeps, from the retention horizon to now. It never fails; it has
// the signature of a window function for RunAll.
func (r *Reconciler) Deep(ctx context.Context, src sources.Lister) (sources.Window, error) {
	now := r.now()
	return sources.Window{Since: now.Add(-src.Retention()), Until: now}, nil
}

// Fixed returns a window function that gives every source [since, until).
// When since is not before until, the function returns that window with an
// error.
func Fixed(since, until time.Time) func(context.Context, sources.Lister) (sources.Window, error) {
	return func(context.Context, sources.Lister) (sources.Window, error) {
		if !since.Before(until) {
			return sources.Window{Since: since, Until: until}, fmt.Errorf("empty window: since %s is not before until %s",
				since.Format(time.RFC3339), until.Format(time.RFC3339))
		}
		return sources.Window{Since: since, Until: until}, nil
	}
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
