package github

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/sources"
)

// pageSize is the deliveries asked for per page, GitHub's maximum.
const pageSize = 100

// DateSkew is how much earlier a delivery is dated in the deliveries list
// (when GitHub sent it) than the receiver dates the same event (on
// receipt): reconcile lists this much before a window so that a webhook
// received just inside it is not taken for unknown.
const DateSkew = 5 * time.Minute

// DateSkew returns the package's DateSkew (see sources.Skewed).
func (s *Source) DateSkew() time.Duration { return DateSkew }

// List yields each event (GUID) the configured hooks were sent in w, once,
// a page of deliveries at a time, hook after hook. It pages the deliveries
// API with its cursor (newest first) and stops a hook once its rows are
// older than w.Since. A GUID is placed in the window by its first
// delivery; Ref is the delivery id of its latest attempt. Failed
// deliveries are listed too: they are what reconcile is for.
//
// Progress: a time is covered once every hook has been listed past it, so
// only the last hook's pages carry a Covered mark. After a page whose
// oldest row was delivered at t, every GUID first delivered after t's
// second has been yielded (its original row was read); after the hook's
// last page, all of w. After an error (retries exhausted) it yields it
// once and stops.
func (s *Source) List(ctx context.Context, w sources.Window) iter.Seq2[sources.Page, error] {
	return func(yield func(sources.Page, error) bool) {
		if len(s.hooks) == 0 {
			yield(sources.Page{}, errors.New("list deliveries: no hooks configured (GITHUB_HOOKS)"))
			return
		}
		for i, h := range s.hooks {
			if err := s.listHook(ctx, h, w, i == len(s.hooks)-1, yield); err != nil {
				if !errors.Is(err, errStop) {
					yield(sources.Page{}, err)
				}
				return
			}
		}
	}
}

// errStop means the consumer stopped the iteration.
var errStop = errors.New("stop")

// listHook pages one hook's deliveries, yielding complete in-window GUIDs
// a page at a time; mark says whether its pages carry progress marks.
func (s *Source) listHook(ctx context.Context, h Hook, w sources.Window, mark bool, yield func(sources.Page, error) bool) error {
	g := newGrouper(w, h.String())
	cursor := ""
	for {
		page, next, err := s.listPage(ctx, h, cursor)
		if err != nil {
			return fmt.Errorf("list deliveries of %s: %w", h, err)
		}
		var out []sources.Listed
		past, oldest := false, time.Time{}
		for _, d := range page {
			at := d.GetDeliveredAt().Time
			if at.IsZero() {
				continue
			}
			if at.Before(w.Since) {
				past = true
				break
			}
			out, oldest = g.add(toAttempt(d, at), out), at
		}
		done := past || next == ""
		if done && !past {
			// The whole list was read: GUIDs whose original aged out are
			// judged by their oldest attempt. Past w.Since, the originals
			// of GUIDs still open are older still: outside w.
			out = g.flush(out)
		}
		p := sources.Page{Events: out}
		if mark {
			p.Covered = covered(w, oldest, done)
		}
		if !yield(p, nil) {
			return errStop
		}
		if done {
			return nil
		}
		cursor = next
	}
}

// covered is the progress mark of a page of the last hook whose oldest
// row was delivered at oldest: everything from the next second on (rows
// of oldest's second may continue on the next page), all of w when done.
func covered(w sources.Window, oldest time.Time, done bool) sources.Window {
	if done {
		return w
	}
	if oldest.IsZero() {
		return sources.Window{}
	}
	since := oldest.Truncate(time.Second).Add(time.Second)
	if since.Before(w.Since) {
		since = w.Since
	}
	if !since.Before(w.Until) {
		return sources.Window{}
	}
	return sources.Window{Since: since, Until: w.Until}
}

func toAttempt(d *gh.HookDelivery, at time.Time) attempt {
	return attempt{
		ID:         d.GetID(),
		GUID:       d.GetGUID(),
		Event:      d.GetEvent(),
		At:         at.UTC(),
		Redelivery: d.GetRedelivery(),
		Status:     d.GetStatusCode(),
	}
}

// listPage fetches one page of h's deliveries and the cursor of the next
// ("" on the last page).
func (s *Source) listPage(ctx context.Context, h Hook, cursor string) ([]*gh.HookDelivery, string, error) {
	var page []*gh.HookDelivery
	resp, err := s.hookCall(ctx, http.MethodGet, h, deliveriesQuery(cursor), &page)
	if err != nil {
		return nil, "", err
	}
	return page, resp.Cursor, nil
}
