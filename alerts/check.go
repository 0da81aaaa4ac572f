package alerts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// checkKinds are the open kinds Check raises and clears.
var checkKinds = []string{KindDead, KindStuck, KindMissing, KindSilent}

// checkIDs bounds the ids Check reads per source and state.
const checkIDs = storedKeys

// Check looks at the ledger for dead events, events stuck pending or
// failing longer than Config.StuckAfter and sources silent far longer than
// usual, alerts about them (one message per source), resolves dead, stuck
// and silence alerts whose condition is gone, and
// resolves missing alerts whose events have all arrived since. The
// scheduler runs it every minute.
func (a *Alerter) Check(ctx context.Context) error {
	now := a.cfg.Now()
	dead, err := a.db.EventsInStates(ctx, []ledger.State{ledger.StateDead}, time.Time{}, checkIDs)
	if err != nil {
		return fmt.Errorf("alert check: %w", err)
	}
	stuck, err := a.db.EventsInStates(ctx, []ledger.State{ledger.StatePending, ledger.StateFailed},
		now.Add(-a.cfg.StuckAfter), checkIDs)
	if err != nil {
		return fmt.Errorf("alert check: %w", err)
	}
	conds, err := a.silenceConditions(ctx, now)
	if err != nil {
		return fmt.Errorf("alert check: %w", err)
	}
	for _, g := range dead {
		conds[g.Source] = append(conds[g.Source], stateCondition(KindDead, g, a.rl))
	}
	for _, g := range stuck {
		conds[g.Source] = append(conds[g.Source], stateCondition(KindStuck, g, a.rl))
	}
	sources, err := a.checkSources(ctx, conds)
	if err != nil {
		return fmt.Errorf("alert check: %w", err)
	}
	var errs []error
	a.mu.Lock()
	for _, src := range sources {
		ctxLine := fmt.Sprintf("%s · ledger check at %s", src, stamp(now))
		if note := a.cfg.LiveOnly[src]; note != "" {
			ctxLine += " · live-only: " + escape(note)
		}
		if err := a.decide(ctx, src, ctxLine, checkKinds, conds[src], a.checkCleared); err != nil {
			errs = append(errs, fmt.Errorf("alert check %s: %w", src, err))
		}
	}
	a.mu.Unlock()
	a.kick(ctx)
	return errors.Join(errs...)
}

// checkSources lists, sorted, the sources with a condition now or an open
// alert Check may clear.
func (a *Alerter) checkSources(ctx context.Context, conds map[string][]condition) ([]string, error) {
	open, err := a.db.Alerts(ctx, ledger.AlertFilter{})
	if err != nil {
		return nil, err
	}
	var out []string
	for src := range conds {
		out = append(out, src)
	}
	for _, al := range open {
		if al.Source != "" && slices.Contains(checkKinds, al.Kind) && !slices.Contains(out, al.Source) {
			out = append(out, al.Source)
		}
	}
	slices.Sort(out)
	return out, nil
}

// checkCleared: dead, stuck and silence alerts clear when this check found
// none (no dead or stuck events left, traffic again); a missing alert, which Check never
// raises, clears only when every id it named is in the ledger now.
func (a *Alerter) checkCleared(ctx context.Context, al ledger.Alert) (bool, error) {
	if al.Kind == KindMissing {
		return a.allPresent(ctx, al)
	}
	return true, nil
}
