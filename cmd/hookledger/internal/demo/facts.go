package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// demoFacts is what the ledger says happened to one source's events:
// every number the story prints about intake and processing.
type demoFacts struct {
	Source string

	Requests   int // receipts: requests the receiver answered
	Accepted   int // new events stored
	Duplicates int // requests for events already stored: answered 2xx, stored once
	Rejected   int // requests refused (bad signature, malformed…)
	DupIDs     []string

	Live       int // events that came in through the receiver
	Backfilled int // events recorded by reconcile
	OutOfOrder int // live events that arrived after an event the provider created later

	Processed, Dead, Waiting int // by state

	Retried       int // events with at least one failed attempt that were processed in the end
	Failures      int // failed attempts in all
	MostAttempts  int // the most attempts one event needed
	RetryExample  *ledger.Event
	RetryAttempts []ledger.Attempt
}

// demoGatherFacts reads one source's events, receipts and attempts from the
// ledger. providerTime, when not nil, gives the provider's time of each
// event (for GitHub, whose webhooks carry none); otherwise the event's
// CreatedAt is the provider's.
func demoGatherFacts(ctx context.Context, db app.Ledger, source string, providerTime map[string]time.Time) (demoFacts, error) {
	f := demoFacts{Source: source}
	var latest time.Time
	for ev, err := range db.Events(ctx, ledger.EventFilter{Source: source}) {
		if err != nil {
			return f, fmt.Errorf("demo: read events: %w", err)
		}
		if err := f.addReceipts(ctx, db, ev); err != nil {
			return f, err
		}
		if err := f.addAttempts(ctx, db, ev); err != nil {
			return f, err
		}
		switch ev.State {
		case ledger.StateProcessed:
			f.Processed++
		case ledger.StateDead:
			f.Dead++
		default:
			f.Waiting++
		}
		if ev.Origin != ledger.OriginWebhook {
			f.Backfilled++
			continue
		}
		f.Live++
		at := ev.CreatedAt
		if providerTime != nil {
			at = providerTime[ev.EventID]
		}
		if at.Before(latest) {
			f.OutOfOrder++
		}
		latest = demoLater(latest, at)
	}
	// Rejected requests are counted per minute, not kept one by one.
	if err := db.SyncRejections(ctx); err != nil {
		return f, fmt.Errorf("demo: %w", err)
	}
	rejected, err := db.Rejections(ctx, source, time.Time{}, 0)
	if err != nil {
		return f, fmt.Errorf("demo: read rejections: %w", err)
	}
	for _, r := range rejected {
		f.Requests += r.Count
		f.Rejected += r.Count
	}
	return f, nil
}

// addReceipts counts ev's receipts by outcome.
func (f *demoFacts) addReceipts(ctx context.Context, db app.Ledger, ev *ledger.Event) error {
	rcs, err := db.Receipts(ctx, ev.Source, ev.EventID)
	if err != nil {
		return fmt.Errorf("demo: read receipts: %w", err)
	}
	dup := false
	for _, rc := range rcs {
		f.Requests++
		switch rc.Outcome {
		case ledger.OutcomeAccepted:
			f.Accepted++
		case ledger.OutcomeDuplicate:
			f.Duplicates++
			dup = true
		case ledger.OutcomeRejected:
			f.Rejected++
		}
	}
	if dup {
		f.DupIDs = append(f.DupIDs, ev.EventID)
	}
	return nil
}

// addAttempts counts ev's failed attempts and keeps the event that needed
// the most as the story's example of a retry.
func (f *demoFacts) addAttempts(ctx context.Context, db app.Ledger, ev *ledger.Event) error {
	atts, err := db.Attempts(ctx, ev.ID)
	if err != nil {
		return fmt.Errorf("demo: read attempts: %w", err)
	}
	failed := 0
	for _, a := range atts {
		if a.Outcome == string(ledger.AttemptRetry) {
			failed++
		}
	}
	f.Failures += failed
	f.MostAttempts = max(f.MostAttempts, len(atts))
	if failed > 0 && ev.State == ledger.StateProcessed {
		f.Retried++
		if f.RetryExample == nil || len(atts) > len(f.RetryAttempts) {
			f.RetryExample, f.RetryAttempts = ev, atts
		}
	}
	return nil
}

// demoLater returns the later of a and b.
func demoLater(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
