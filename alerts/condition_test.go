package alerts

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

func TestReportConditions(t *testing.T) {
	rl := withDefaultsRules()
	ok := reconcile.Report{Source: "stripe", Complete: true, Expected: 30, InLedger: 30, Processed: 30, Due: 30, DueProcessed: 30}
	for _, tc := range []struct {
		name string
		edit func(r *reconcile.Report)
		want []string
	}{
		{"clean run", func(r *reconcile.Report) {}, nil},
		{"all backfilled", func(r *reconcile.Report) { r.Missing, r.Backfilled = 2, 2 }, []string{KindRecovered}},
		{"some left", func(r *reconcile.Report) { r.Missing, r.Backfilled, r.StillMissing = 3, 1, 2 },
			[]string{KindRecovered, KindMissing}},
		{"dry run", func(r *reconcile.Report) { r.DryRun, r.Missing, r.StillMissing = true, 2, 2 }, []string{KindMissing}},
		{"past retention", func(r *reconcile.Report) { r.Missing, r.StillMissing, r.Unrecoverable = 1, 1, 1 },
			[]string{KindMissing, KindUnrecoverable}},
		{"unknown", func(r *reconcile.Report) { r.Unknown = 1 }, []string{KindUnknown}},
		{"error", func(r *reconcile.Report) { r.Error = "boom" }, []string{KindFailed}},
		{"incomplete", func(r *reconcile.Report) { r.Complete = false }, []string{KindFailed}},
		{"low ratio", func(r *reconcile.Report) { r.Processed, r.DueProcessed = 10, 10 }, []string{KindRatio}},
		{"low ratio, small window", func(r *reconcile.Report) { r.Expected, r.Processed, r.Due, r.DueProcessed = 5, 0, 5, 0 }, nil},
		// A large backfill, just recorded, has had no time to be processed.
		{"fresh backfill", func(r *reconcile.Report) {
			r.Expected, r.Missing, r.Backfilled, r.Processed, r.Pending = 30000, 29970, 29970, 30, 29970
		}, []string{KindRecovered}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			var got []string
			for _, c := range reportConditions(&r, rl, testStart) {
				got = append(got, c.kind)
				if c.fingerprint != "stripe:"+c.kind || c.summary == "" || c.body == "" {
					t.Errorf("condition %+v lacks fingerprint or text", c)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("reportConditions() kinds = %v, want %v", got, tc.want)
			}
		})
	}
}

func withDefaultsRules() rules {
	c := withDefaults(Config{})
	return rules{thresholds: thresholds{maxIDs: c.MaxIDs, minRatio: c.MinRatio, ratioMinExpected: c.RatioMinExpected,
		processedMin: c.ProcessedMin, stuckAfter: c.StuckAfter}}
}

// TestProcessedConditionsPerType protects HOOKLEDGER_PROCESSED_MIN: one
// alert per event type whose processed share of the events that had their
// grace is under the threshold, none for a type with too few judged events
// (fresh backfills are not judged), none when it is off.
func TestProcessedConditionsPerType(t *testing.T) {
	r := reconcile.Report{Source: "stripe", Complete: true, ProcessingGraceSecs: 900, ByType: []reconcile.TypeCount{
		{Type: "charge.succeeded", Expected: 100, Processed: 99, Dead: 1, Judged: 100, JudgedProcessed: 99},
		{Type: "customer.created", Expected: 1000, Processed: 0, Waiting: 1000, Judged: 19, JudgedProcessed: 0},
		{Type: "invoice.paid", Expected: 100, Processed: 95, Dead: 5, Judged: 100, JudgedProcessed: 95},
	}}
	rl := withDefaultsRules()
	conds := processedConditions(&r, rl)
	if len(conds) != 1 || conds[0].fingerprint != "stripe:processed_low:invoice.paid" || conds[0].count != 5 {
		t.Fatalf("processedConditions() = %+v, want one for invoice.paid (5 not processed)", conds)
	}
	if !strings.Contains(conds[0].body, "only 95 of 100 processed (95.0%)") || !strings.Contains(conds[0].body, "99%") ||
		!strings.Contains(conds[0].body, "dead 5") || !strings.Contains(conds[0].body, "15m0s") {
		t.Errorf("body = %s", conds[0].body)
	}
	rl.processedMin = 0.9
	if conds := processedConditions(&r, rl); len(conds) != 0 {
		t.Errorf("at 90%%: %d conditions, want 0", len(conds))
	}
	rl.processedMin = -1
	r.ByType[2].JudgedProcessed = 0
	if conds := processedConditions(&r, rl); len(conds) != 0 {
		t.Errorf("off: %d conditions, want 0", len(conds))
	}
}

func TestConditionChanged(t *testing.T) {
	day := testStart
	for _, tc := range []struct {
		name   string
		c      condition
		prev   ledger.Alert
		change bool
	}{
		{"same ids", newCondition("s", KindMissing, false, 2, []string{"b", "a"}, day),
			ledger.Alert{Keys: []string{"a", "b"}, Count: 2}, false},
		{"fewer ids", newCondition("s", KindMissing, false, 1, []string{"a"}, day),
			ledger.Alert{Keys: []string{"a", "b"}, Count: 2}, false},
		{"new id", newCondition("s", KindMissing, false, 2, []string{"a", "c"}, day),
			ledger.Alert{Keys: []string{"a", "b"}, Count: 2}, true},
		{"count grew", newCondition("s", KindDead, false, 3, nil, time.Time{}),
			ledger.Alert{Count: 2}, true},
		{"open, no ids, same", newCondition("s", KindFailed, false, 1, nil, day.Add(time.Hour)),
			ledger.Alert{Count: 1, Since: day}, false},
		{"notice, other window", newCondition("s", KindUnrecoverable, true, 1, nil, day.Add(time.Hour)),
			ledger.Alert{Count: 1, Since: day}, true},
		{"notice, same window", newCondition("s", KindUnrecoverable, true, 1, nil, day),
			ledger.Alert{Count: 1, Since: day}, false},
	} {
		if got := tc.c.changed(tc.prev); got != tc.change {
			t.Errorf("%s: changed() = %v, want %v", tc.name, got, tc.change)
		}
	}
}

// TestWorstFirst protects the order of a run's message: what stops all
// traffic first, what was already recovered last.
func TestWorstFirst(t *testing.T) {
	var conds []condition
	for _, k := range []string{KindRecovered, KindProcessed, KindMissing, KindEndpoint, KindUnknown} {
		conds = append(conds, condition{kind: k})
	}
	var got []string
	for _, c := range worstFirst(conds) {
		got = append(got, c.kind)
	}
	want := []string{KindEndpoint, KindMissing, KindUnknown, KindProcessed, KindRecovered}
	if !slices.Equal(got, want) {
		t.Errorf("worstFirst() = %v, want %v", got, want)
	}
}
