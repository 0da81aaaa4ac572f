package alerts

import (
	"fmt"
	"slices"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// Kinds of alerted condition. Open kinds stay open until the condition
// clears; one-off kinds are notices, recorded already resolved.
const (
	KindMissing       = "missing"          // events still missing after a run (open)
	KindRecovered     = "recovered"        // a run found missing events and acted (one-off)
	KindUnrecoverable = "unrecoverable"    // missing past the provider's retention (one-off)
	KindUnknown       = "unknown"          // in the ledger, unknown to the provider (open until acknowledged)
	KindFailed        = "reconcile_failed" // a run that could not finish (open)
	KindRatio         = "ratio"            // processed/expected under the threshold (open)
	KindDead          = "dead"             // dead events in the ledger (open)
	KindStuck         = "stuck"            // events pending or failing too long (open)
	KindJob           = "job_failed"       // a scheduled job failed or panicked (open)
	KindSilent        = "silent"           // a source sent nothing far longer than usual (open)
	KindProcessed     = "processed_low"    // one event type's processed share under HOOKLEDGER_PROCESSED_MIN (open)
	KindEndpoint      = "endpoint"         // the provider disabled the endpoint, or it sends elsewhere (open)
	KindFrontFailing  = "front_failing"    // deliveries failed in front of hookledger, by the provider's log (open)
)

// severity orders the kinds of one run's message, worst first: nothing
// arrives (the endpoint), the run saw nothing (failed), gaps remain,
// forgeries, failures in front, what is lost for good, what is not being
// processed, and last what was found and already recovered.
var severity = []string{KindEndpoint, KindFailed, KindMissing, KindUnknown, KindFrontFailing,
	KindUnrecoverable, KindProcessed, KindRatio, KindSilent, KindRecovered}

// worstFirst sorts conds by severity, keeping the order within a kind.
func worstFirst(conds []condition) []condition {
	rank := func(c condition) int {
		if i := slices.Index(severity, c.kind); i >= 0 {
			return i
		}
		return len(severity)
	}
	slices.SortStableFunc(conds, func(a, b condition) int { return rank(a) - rank(b) })
	return conds
}

// storedKeys bounds the ids kept on an alert row, for deduplication.
const storedKeys = 200

// condition is one thing worth telling, found in a report or the ledger.
type condition struct {
	fingerprint string
	source      string
	kind        string
	oneOff      bool
	untilAck    bool // open until someone acknowledges it: nothing observed clears it
	count       int
	keys        []string  // ids, for deduplication (bounded)
	since       time.Time // window start, zero when none
	summary     string    // one plain line: the header and the alert list
	body        string    // mrkdwn paragraph for the message
}

func fingerprint(source, kind string) string { return source + ":" + kind }

func newCondition(source, kind string, oneOff bool, count int, ids []string, since time.Time) condition {
	keys := slices.Clone(ids)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) > storedKeys {
		keys = keys[:storedKeys]
	}
	return condition{fingerprint: fingerprint(source, kind), source: source, kind: kind,
		oneOff: oneOff, count: count, keys: keys, since: since}
}

// alert is the ledger row c opens or updates.
func (c condition) alert() *ledger.Alert {
	a := &ledger.Alert{Fingerprint: c.fingerprint, Source: c.source, Kind: c.kind,
		Summary: c.summary, Keys: c.keys, Count: c.count, Since: c.since, State: ledger.AlertOpen}
	if c.oneOff {
		a.State = ledger.AlertResolved
	}
	return a
}

// covered reports whether prev, an acknowledged alert of the same
// fingerprint, already named every id of c: nothing new to acknowledge.
func (c condition) covered(prev ledger.Alert) bool {
	if prev.AckedAt.IsZero() || len(c.keys) == 0 {
		return false
	}
	for _, k := range c.keys {
		if !slices.Contains(prev.Keys, k) {
			return false
		}
	}
	return true
}

// merged is c naming, besides its own ids, those of the open alert prev
// it updates: an alert open until acknowledged forgets none of its ids
// when a later, narrower run names fewer.
func (c condition) merged(prev ledger.Alert) condition {
	keys := append(slices.Clone(prev.Keys), c.keys...)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) > storedKeys {
		keys = keys[:storedKeys]
	}
	c.keys, c.count = keys, max(c.count, prev.Count, len(keys))
	return c
}

// changed reports whether c says something prev (the open alert of the same
// fingerprint, or the last notice of a one-off kind) did not: an id not
// named before, a larger count, or for an id-less notice another window.
func (c condition) changed(prev ledger.Alert) bool {
	for _, k := range c.keys {
		if !slices.Contains(prev.Keys, k) {
			return true
		}
	}
	if c.oneOff && len(c.keys) == 0 {
		return c.count != prev.Count || !c.since.Equal(prev.Since)
	}
	return c.count > prev.Count
}

// reportConditions returns what report r says that is worth an alert, in
// the order a message shows it. Dead and stuck events are left to Check,
// which sees the whole ledger.
func reportConditions(r *reconcile.Report, rl rules, now time.Time) []condition {
	var out []condition
	src := r.Source
	if r.Error != "" || !r.Complete {
		c := newCondition(src, KindFailed, false, 1, nil, r.Since)
		c.summary, c.body = failedText(r, rl, now)
		out = append(out, c)
	}
	if r.Missing > 0 && r.Backfilled+r.Redelivered > 0 {
		c := newCondition(src, KindRecovered, true, r.Missing, r.MissingIDs, r.Since)
		c.summary, c.body = recoveredText(r, rl)
		out = append(out, c)
	}
	if r.StillMissing > 0 {
		c := newCondition(src, KindMissing, false, r.StillMissing, r.StillMissingIDs, r.Since)
		c.summary, c.body = missingText(r, rl, now)
		out = append(out, c)
	}
	if r.Unrecoverable > 0 {
		c := newCondition(src, KindUnrecoverable, true, r.Unrecoverable, nil, r.Since)
		c.summary, c.body = unrecoverableText(r)
		out = append(out, c)
	}
	if r.Unknown > 0 {
		// A forged event stays forged: the alert stays open until acknowledged.
		c := newCondition(src, KindUnknown, false, r.Unknown, r.UnknownIDs, r.Since)
		c.untilAck = true
		c.summary, c.body = unknownText(r, rl)
		out = append(out, c)
	}
	out = append(out, processedConditions(r, rl)...)
	if ratio, ok := lowRatio(r, rl); ok {
		c := newCondition(src, KindRatio, false, r.DueProcessed, nil, r.Since)
		c.summary, c.body = ratioText(r, ratio)
		out = append(out, c)
	}
	return out
}

// lowRatio returns the processed ratio of r's due events (those in the
// ledger longer than the stuck threshold: a fresh backfill has not had
// its chance yet) when it is below the threshold and enough events are due
// for the ratio to mean something.
func lowRatio(r *reconcile.Report, rl rules) (float64, bool) {
	if rl.minRatio <= 0 || r.Due < rl.ratioMinExpected || r.Due == 0 {
		return 0, false
	}
	ratio := float64(r.DueProcessed) / float64(r.Due)
	return ratio, ratio < rl.minRatio
}

// processedFingerprint is the fingerprint of the expected-versus-processed
// alert of one event type: one alert per type.
func processedFingerprint(source, typ string) string {
	return fingerprint(source, KindProcessed) + ":" + typ
}

// processedConditions returns a condition per event type of r whose
// processed share of the events that had their grace is under the
// threshold, counted only for types with enough such events.
func processedConditions(r *reconcile.Report, rl rules) []condition {
	if rl.processedMin <= 0 {
		return nil
	}
	var out []condition
	for _, t := range r.ByType {
		if t.Judged < rl.ratioMinExpected || t.Judged == 0 {
			continue
		}
		share := float64(t.JudgedProcessed) / float64(t.Judged)
		if share >= rl.processedMin {
			continue
		}
		c := newCondition(r.Source, KindProcessed, false, t.Judged-t.JudgedProcessed, nil, r.Since)
		c.fingerprint = processedFingerprint(r.Source, t.Type)
		c.summary, c.body = processedText(r, t, rl)
		out = append(out, c)
	}
	return out
}

// stateCondition turns the ledger's dead or stuck events of one source
// into a condition.
func stateCondition(kind string, g ledger.StateGroup, rl rules) condition {
	c := newCondition(g.Source, kind, false, g.Count, g.IDs, time.Time{})
	if kind == KindDead {
		c.summary, c.body = deadText(g, rl)
	} else {
		c.summary, c.body = stuckText(g, rl)
	}
	return c
}

// jobCondition is the alert for scheduled job name failing with err.
func jobCondition(name string, err error, rl rules) condition {
	c := newCondition("", KindJob, false, 1, nil, time.Time{})
	c.fingerprint = "job:" + name + ":failed"
	c.summary = fmt.Sprintf("scheduled job %s failed", name)
	c.body = fmt.Sprintf("*Scheduled job %s failed*: %s\nThe scheduler goes on and runs it again at its next time.\nNext: `hookledger status`",
		code(name), escape(rl.clean(err.Error())))
	return c
}
