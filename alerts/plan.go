package alerts

import (
	"context"
	"slices"

	"github.com/hookledger/hookledger/ledger"
)

// clearFunc says whether an open alert, whose condition was not found this
// time, has really cleared (absence from a partial look proves nothing).
type clearFunc func(ctx context.Context, al ledger.Alert) (bool, error)

// decide compares the conditions found for one source with its open alerts
// of the given kinds and commits the outcome in one ledger transaction: one
// message for the new or materially changed conditions, and one resolved
// reply per original message for the alerts that cleared.
func (a *Alerter) decide(ctx context.Context, source, contextLine string, kinds []string, conds []condition, cleared clearFunc) error {
	open, err := a.openAlerts(ctx, source, kinds)
	if err != nil {
		return err
	}
	var ch ledger.AlertChange
	posted, err := a.planPosts(ctx, &ch, source, contextLine, conds, open)
	if err != nil {
		return err
	}
	if err := a.planResolves(ctx, &ch, source, conds, open, cleared); err != nil {
		return err
	}
	// Due from now on the Alerter's clock, which Deliver reads too.
	now := a.cfg.Now()
	if ch.Message != nil {
		ch.Message.NextAttemptAt = now
	}
	for _, m := range ch.Replies {
		m.NextAttemptAt = now
	}
	if err := a.db.ApplyAlerts(ctx, ch); err != nil {
		return err
	}
	if ch.Message != nil || len(ch.Resolve) > 0 {
		a.log.Info("alerts changed", "source", source, "posted", posted, "resolved", len(ch.Resolve))
	}
	return nil
}

// planPosts adds to ch one message for the conditions that are news and
// the alert rows they open or update; it returns how many it posts.
func (a *Alerter) planPosts(ctx context.Context, ch *ledger.AlertChange, source, contextLine string, conds []condition, open []ledger.Alert) (int, error) {
	post, err := a.news(ctx, conds, open)
	if err != nil || len(post) == 0 {
		return 0, err
	}
	msg, err := buildMessage(a.rl, source, contextLine, post)
	if err != nil {
		return 0, err
	}
	ch.Message = msg
	ch.Upsert = append(ch.Upsert, upserts(post, open)...)
	return len(post), nil
}

// news returns the conditions of conds worth posting, in order.
func (a *Alerter) news(ctx context.Context, conds []condition, open []ledger.Alert) ([]condition, error) {
	var post []condition
	for _, c := range conds {
		news, err := a.isNews(ctx, c, open)
		if err != nil {
			return nil, err
		}
		if news {
			post = append(post, c)
		}
	}
	return post, nil
}

// upserts are the alert rows the posted conditions open or update.
func upserts(post []condition, open []ledger.Alert) []*ledger.Alert {
	out := make([]*ledger.Alert, 0, len(post))
	for _, c := range post {
		i := slices.IndexFunc(open, func(o ledger.Alert) bool { return o.Fingerprint == c.fingerprint })
		if c.untilAck && i >= 0 {
			c = c.merged(open[i])
		}
		al := c.alert()
		// An update keeps the earliest window, so clearing needs a look that covers all of it.
		if i >= 0 && !open[i].Since.IsZero() && open[i].Since.Before(al.Since) {
			al.Since = open[i].Since
		}
		out = append(out, al)
	}
	return out
}

// planResolves adds to ch the open alerts absent from conds that cleared
// says have cleared, and one resolved reply per message that announced
// them.
func (a *Alerter) planResolves(ctx context.Context, ch *ledger.AlertChange, source string, conds []condition, open []ledger.Alert, cleared clearFunc) error {
	found := make(map[string]bool, len(conds))
	for _, c := range conds {
		found[c.fingerprint] = true
	}
	byParent := map[int64][]ledger.Alert{}
	var parents []int64
	for _, al := range open {
		if found[al.Fingerprint] {
			continue
		}
		ok, err := cleared(ctx, al)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		ch.Resolve = append(ch.Resolve, al.ID)
		if _, dup := byParent[al.MessageID]; !dup {
			parents = append(parents, al.MessageID)
		}
		byParent[al.MessageID] = append(byParent[al.MessageID], al)
	}
	for _, p := range parents {
		ch.Replies = append(ch.Replies, resolvedMessage(a.rl, source, p, byParent[p]))
	}
	return nil
}

// openAlerts returns the open alerts of source with one of kinds.
func (a *Alerter) openAlerts(ctx context.Context, source string, kinds []string) ([]ledger.Alert, error) {
	all, err := a.db.Alerts(ctx, ledger.AlertFilter{Source: source})
	if err != nil {
		return nil, err
	}
	var out []ledger.Alert
	for _, al := range all {
		if al.Source == source && slices.Contains(kinds, al.Kind) {
			out = append(out, al)
		}
	}
	return out, nil
}

// isNews reports whether c should be posted: an open kind with no open
// alert, or one that changed materially; a one-off notice that says
// something its last notice did not; a kind open until acknowledged that
// names an id its last acknowledged alert did not.
func (a *Alerter) isNews(ctx context.Context, c condition, open []ledger.Alert) (bool, error) {
	if !c.oneOff {
		i := slices.IndexFunc(open, func(al ledger.Alert) bool { return al.Fingerprint == c.fingerprint })
		if i >= 0 || !c.untilAck {
			return i < 0 || c.changed(open[i]), nil
		}
	}
	last, err := a.db.Alerts(ctx, ledger.AlertFilter{All: true, Fingerprint: c.fingerprint, Limit: 1})
	if err != nil {
		return false, err
	}
	if c.untilAck {
		// Acknowledged ids stay acknowledged: only a new one reopens.
		return len(last) == 0 || !c.covered(last[0]), nil
	}
	return len(last) == 0 || c.changed(last[0]), nil
}
