package github

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/sources"
)

// pageSize is the deliveries asked for per page, GitHub's maximum.
const pageSize = 100

// List yields each event (GUID) the configured hooks were sent in w, once,
// newest page first, hook after hook. It pages the deliveries API with its
// cursor and stops a hook once its rows are older than w.Since. A GUID is
// placed in the window by its first delivery; Ref is the delivery id of its
// latest attempt. Failed deliveries are listed too: they are what reconcile
// is for. After an error (retries exhausted) it yields it once and stops.
func (s *Source) List(ctx context.Context, w sources.Window) iter.Seq2[sources.Listed, error] {
	return func(yield func(sources.Listed, error) bool) {
		if len(s.hooks) == 0 {
			yield(sources.Listed{}, errors.New("list deliveries: no hooks configured (GITHUB_HOOKS)"))
			return
		}
		for _, h := range s.hooks {
			if err := s.listHook(ctx, h, w, yield); err != nil {
				if !errors.Is(err, errStop) {
					yield(sources.Listed{}, err)
				}
				return
			}
		}
	}
}

// errStop means the consumer stopped the iteration.
var errStop = errors.New("stop")

// listHook pages one hook's deliveries, yielding complete in-window GUIDs.
func (s *Source) listHook(ctx context.Context, h Hook, w sources.Window, yield func(sources.Listed, error) bool) error {
	g := newGrouper(w, h.String())
	var out []sources.Listed
	cursor := ""
	for {
		page, next, err := s.listPage(ctx, h, cursor)
		if err != nil {
			return fmt.Errorf("list deliveries of %s: %w", h, err)
		}
		past := false
		for _, d := range page {
			at := d.GetDeliveredAt().Time
			if at.IsZero() {
				continue
			}
			if at.Before(w.Since) {
				past = true
				break
			}
			out = g.add(toAttempt(d, at), out[:0])
			if !yieldAll(out, yield) {
				return errStop
			}
		}
		if past {
			// The originals of GUIDs still open are older still: outside w.
			return nil
		}
		if next == "" {
			if !yieldAll(g.flush(out[:0]), yield) {
				return errStop
			}
			return nil
		}
		cursor = next
	}
}

func yieldAll(ls []sources.Listed, yield func(sources.Listed, error) bool) bool {
	for _, l := range ls {
		if !yield(l, nil) {
			return false
		}
	}
	return true
}

func toAttempt(d *gh.HookDelivery, at time.Time) attempt {
	return attempt{
		ID:         d.GetID(),
		GUID:       d.GetGUID(),
		Event:      d.GetEvent(),
		At:         at.UTC(),
		Redelivery: d.GetRedelivery(),
	}
}

// listPage fetches one page of h's deliveries and the cursor of the next
// ("" on the last page).
func (s *Source) listPage(ctx context.Context, h Hook, cursor string) ([]*gh.HookDelivery, string, error) {
	opts := &gh.ListCursorOptions{PerPage: pageSize, Cursor: cursor}
	var page []*gh.HookDelivery
	var resp *gh.Response
	err := s.call(ctx, func() (err error) {
		if h.Org != "" {
			page, resp, err = s.client.Organizations.ListHookDeliveries(ctx, h.Org, h.ID, opts)
		} else {
			page, resp, err = s.client.Repositories.ListHookDeliveries(ctx, h.Owner, h.Repo, h.ID, opts)
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return page, resp.Cursor, nil
}
