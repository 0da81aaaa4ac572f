// Package reconcile compares what each provider says it sent with the
// ledger, backfills or asks for redelivery of what is missing, and reports
// the result. It also runs scheduled jobs (robfig/cron). It never imports
// alerts: reports go to a Notifier that cmd wires to alerts.
package reconcile

import "time"

// Report is the outcome of one reconcile run for one source. Its JSON form
// is part of the command-line contract (`reconcile --json`).
type Report struct {
	Source string    `json:"source"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	Mode   string    `json:"mode"`    // backfill or redeliver
	DryRun bool      `json:"dry_run"` // nothing was changed
	// LedgerMode is the ledger's mode during the run: under "deliver" (or
	// "unset") what it recovered waits as pending for the processor of
	// serve or process; under "ledger-only" it is recorded as processed.
	LedgerMode string `json:"ledger_mode"`

	Expected     int `json:"expected"`      // distinct in-scope events the provider sent in the window
	InLedger     int `json:"in_ledger"`     // of those, already in the ledger before the run
	Missing      int `json:"missing"`       // of those, not in the ledger before the run
	Backfilled   int `json:"backfilled"`    // missing events recorded from the provider's API
	Redelivered  int `json:"redelivered"`   // missing events the provider was asked to send again
	StillMissing int `json:"still_missing"` // missing and not in the ledger after the run
	Unknown      int `json:"unknown"`       // in the ledger from the receiver, unknown to the provider
	Pending      int `json:"pending"`       // window events not yet processed (pending, processing, failed)
	Stuck        int `json:"stuck"`         // pending or failed for longer than the stuck threshold
	Dead         int `json:"dead"`          // window events in the dead state
	Processed    int `json:"processed"`     // window events processed
	// Due counts the window events that have been in the ledger longer
	// than the stuck threshold, so had their time to be processed (a fresh
	// backfill has not), and DueProcessed those of them processed: the
	// processed ratio is judged on these alone.
	Due          int `json:"due"`
	DueProcessed int `json:"due_processed"`
	// Unrecoverable counts missing events older than the provider's
	// retention: they can no longer be backfilled or redelivered.
	Unrecoverable int `json:"unrecoverable"`

	MissingIDs      []string       `json:"missing_ids"`
	StillMissingIDs []string       `json:"still_missing_ids"`
	UnknownIDs      []string       `json:"unknown_ids"`
	DeadIDs         []string       `json:"dead_ids"`
	StuckIDs        []string       `json:"stuck_ids"`
	MissingByType   map[string]int `json:"missing_by_type"`
	Scope           string         `json:"scope"`    // how the expected event types were decided
	Warnings        []string       `json:"warnings"` // e.g. window reaches past the provider's retention
	Complete        bool           `json:"complete"` // the whole window was listed
	StoppedAt       *time.Time     `json:"stopped_at,omitempty"`
	Error           string         `json:"error"`
	StartedAt       time.Time      `json:"started_at"`
	FinishedAt      time.Time      `json:"finished_at"`
	RunID           int64          `json:"run_id,omitempty"`

	// ByType is expected versus processed per event type, sorted by type;
	// ProcessingGraceSecs is how long an event had to be in the ledger to
	// be judged there.
	ByType              []TypeCount `json:"by_type"`
	ProcessingGraceSecs float64     `json:"processing_grace_seconds"`
	// Endpoints is the provider's view of the endpoints it sends to, read
	// on the run (empty when the provider has none to show, or none is
	// configured); EndpointError says why it could not be read.
	Endpoints     []EndpointReport `json:"endpoints"`
	EndpointError string           `json:"endpoint_error,omitempty"`
	// FailedDeliveries counts the missing events whose delivery the
	// provider recorded as answered with a status hookledger never gives
	// (a proxy or load balancer in front failed them), by status code.
	FailedDeliveries    int            `json:"failed_deliveries"`
	FailedDeliveryCodes map[string]int `json:"failed_delivery_codes"`
	FailedDeliveryIDs   []string       `json:"failed_delivery_ids"`
}

// Gaps reports whether the window is not complete in the ledger: events
// still missing, or a listing that did not finish.
func (r *Report) Gaps() bool {
	return r.StillMissing > 0 || !r.Complete || r.Error != ""
}
