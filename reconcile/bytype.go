package reconcile

import (
	"context"

	"github.com/hookledger/hookledger/ledger"
)

// TypeCount is expected versus processed for one event type of a run: of
// the events of the type the provider sent in the window, how many the
// ledger processed, still waits on, gave up on (dead), or lacks. Judged
// counts those in the ledger for longer than the processing grace, which
// had their time to be processed; JudgedProcessed how many of them were.
type TypeCount struct {
	Type            string `json:"type"`
	Expected        int    `json:"expected"`
	Processed       int    `json:"processed"`
	Waiting         int    `json:"waiting"` // pending, processing or failed
	Dead            int    `json:"dead"`
	Missing         int    `json:"missing"` // not in the ledger after the run
	Judged          int    `json:"judged"`
	JudgedProcessed int    `json:"judged_processed"`
}

// countByType fills the report's per-type table from the events the run
// expected, judging against the processing grace.
func (p *pass) countByType(ctx context.Context) error {
	// The one grace: what Due counts (in the ledger longer than StuckAfter).
	grace := p.r.opts.StuckAfter
	p.rep.ProcessingGraceSecs = grace.Seconds()
	rows, err := p.set.ByType(ctx, p.r.now().Add(-grace))
	if err != nil {
		return err
	}
	p.rep.ByType = make([]TypeCount, 0, len(rows))
	for _, r := range rows {
		p.rep.ByType = append(p.rep.ByType, typeCount(r))
	}
	return nil
}

func typeCount(r ledger.TypeProgress) TypeCount {
	return TypeCount{Type: r.Type, Expected: r.Expected, Processed: r.Processed, Waiting: r.Waiting,
		Dead: r.Dead, Missing: r.Missing, Judged: r.Judged, JudgedProcessed: r.JudgedProcessed}
}
