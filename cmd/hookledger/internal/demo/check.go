package demo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hookledger/hookledger/reconcile"
)

// demoCheck is one line of the closing check.
type demoCheck struct {
	ok   bool
	text string
}

// demoOutcome is everything the story prints and the checks judge: the
// providers' records (traffic), the ledger's (facts), the reconcile
// reports and the downstream app's record.
type demoOutcome struct {
	tr     *demoTraffic
	first  []reconcile.Report // the reconcile that closes the gaps
	second []reconcile.Report // the same window again
	facts  map[string]demoFacts
	down   demoRecord
}

// demoReportOf returns source's report in reps, the zero Report when absent.
func demoReportOf(reps []reconcile.Report, source string) reconcile.Report {
	for _, r := range reps {
		if r.Source == source {
			return r
		}
	}
	return reconcile.Report{Source: source}
}

// realEvents are the events the providers really sent (or tried to):
// every one must reach the downstream exactly once. The forged event is
// in the ledger too and is processed: it carried a valid signature.
func (o *demoOutcome) realEvents() map[demoKey]bool {
	want := map[demoKey]bool{}
	for _, ev := range o.tr.stripeEvents {
		want[demoKey{"stripe", ev.ID}] = true
	}
	for _, id := range append(slices.Clone(o.tr.github.Delivered), o.tr.github.Dropped...) {
		want[demoKey{"github", id}] = true
	}
	for _, n := range o.tr.paddleEvents {
		want[demoKey{"paddle", n.EventID}] = true
	}
	return want
}

// demoChecks collects the closing check's lines.
type demoChecks []demoCheck

// add appends one check: ok, and its text.
func (cs *demoChecks) add(ok bool, format string, args ...any) {
	*cs = append(*cs, demoCheck{ok, fmt.Sprintf(format, args...)})
}

// checks judges the run. Each check compares what hookledger recorded or
// reported with what the providers and the downstream app say happened.
func (o *demoOutcome) checks() []demoCheck {
	var cs demoChecks
	o.checkDownstream(&cs)
	o.checkSource(&cs, "stripe", o.tr.stripe.Dropped, len(o.tr.stripe.Duplicated))
	o.checkSource(&cs, "github", o.tr.github.Dropped, len(o.tr.github.Duplicated))
	o.checkSource(&cs, "paddle", o.tr.paddle.Dropped, len(o.tr.paddle.Duplicated))
	o.checkProviders(&cs)
	return cs
}

// checkDownstream checks what reached the downstream app: every real
// event once, the forged one once, nothing else, every request signed.
func (o *demoOutcome) checkDownstream(cs *demoChecks) {
	want := o.realEvents()
	forged := demoKey{"stripe", o.tr.forged.ID}
	var twice, missing, extra int
	for k := range want {
		switch n := o.down.Processed[k]; {
		case n == 0:
			missing++
		case n > 1:
			twice++
		}
	}
	for k := range o.down.Processed {
		if !want[k] && k != forged {
			extra++
		}
	}
	cs.add(twice == 0 && missing == 0, "the downstream processed every real event exactly once: %d events, %d twice, %d never",
		len(want), twice, missing)
	cs.add(o.down.Processed[forged] == 1, "the forged event was processed once (%d): its signature was valid", o.down.Processed[forged])
	cs.add(extra == 0, "nothing else reached the downstream: %d unexpected events", extra)
	cs.add(o.down.BadSig == 0, "every request to the downstream carried a valid hookledger signature: %d did not", o.down.BadSig)
}

// checkSource checks one source's reconcile reports and ledger against
// the events its provider dropped and the number it sent twice.
func (o *demoOutcome) checkSource(cs *demoChecks, name string, dropped []string, dups int) {
	r, f := demoReportOf(o.first, name), o.facts[name]
	cs.add(demoSameIDs(r.MissingIDs, dropped) && r.Missing == len(dropped),
		"%s: reconcile found exactly the dropped events missing: %d missing, %d dropped", name, r.Missing, len(dropped))
	cs.add(r.Backfilled == r.Missing && r.StillMissing == 0 && r.Error == "",
		"%s: every missing event was backfilled: %d of %d, %d still missing", name, r.Backfilled, r.Missing, r.StillMissing)
	cs.add(f.Duplicates == dups && f.Accepted == f.Live,
		"%s: every duplicate was deduplicated: %d duplicate requests stored once, %d sent twice", name, f.Duplicates, dups)
	cs.add(f.Waiting == 0 && f.Dead == 0, "%s: every event in the ledger is processed: %d processed, %d waiting, %d dead",
		name, f.Processed, f.Waiting, f.Dead)
	r2 := demoReportOf(o.second, name)
	cs.add(r2.Complete && r2.Missing == 0 && !r2.Gaps(),
		"%s: a second reconcile finds nothing missing: %d missing, window complete %t", name, r2.Missing, r2.Complete)
}

// checkProviders checks what concerns the providers' side: the forgery
// flagged, unsubscribed types ignored, a guessed secret refused and the
// outage ridden out.
func (o *demoOutcome) checkProviders(cs *demoChecks) {
	st, gh, pd := demoReportOf(o.first, "stripe"), demoReportOf(o.first, "github"), demoReportOf(o.first, "paddle")
	cs.add(slices.Equal(st.UnknownIDs, []string{o.tr.forged.ID}) && gh.Unknown == 0 && pd.Unknown == 0,
		"reconcile flagged exactly the forged event as unknown: stripe %d, github %d, paddle %d", st.Unknown, gh.Unknown, pd.Unknown)
	cs.add(st.Expected == len(o.tr.stripeEvents) && !o.anyUnsubscribed(st),
		"stripe: unsubscribed types are not counted: expected %d, subscribed events %d, unsubscribed events listed %d",
		st.Expected, len(o.tr.stripeEvents), len(o.tr.stripeUnsub))
	cs.add(o.tr.forgedStatus/100 == 2 && o.tr.guessedStatus == 401 && o.facts["stripe"].Rejected == 1,
		"a guessed secret was rejected (%d) and the leaked one accepted (%d)", o.tr.guessedStatus, o.tr.forgedStatus)
	retried := o.facts["stripe"].Retried + o.facts["github"].Retried + o.facts["paddle"].Retried
	cs.add(o.down.Refused > 0 && retried > 0, "the outage was retried and recovered: %d requests refused, %d events retried",
		o.down.Refused, retried)
}

// anyUnsubscribed reports whether an event of an unsubscribed type shows
// up as missing in r or reached the downstream.
func (o *demoOutcome) anyUnsubscribed(r reconcile.Report) bool {
	for _, ev := range o.tr.stripeUnsub {
		if slices.Contains(r.MissingIDs, ev.ID) || o.down.Requests[demoKey{"stripe", ev.ID}] > 0 {
			return true
		}
	}
	return false
}

// demoSameIDs reports whether a and b hold the same ids, in any order.
func demoSameIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// demoFailures returns an error listing the checks that failed, nil when all
// passed.
func demoFailures(cs []demoCheck) error {
	var bad []string
	for _, c := range cs {
		if !c.ok {
			bad = append(bad, c.text)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("demo: %d of %d checks failed:\n  %s", len(bad), len(cs), strings.Join(bad, "\n  "))
}
