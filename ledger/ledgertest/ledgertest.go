// Package ledgertest is the conformance suite of a hookledger ledger
// backend, in the style of river's riverdrivertest: Exercise runs every
// behaviour a backend must have (idempotent record under concurrency,
// receipts, ledger-only mode, claim, lease, renew, settle, retry, dead,
// replay, windows and watermarks, runs and jobs, the alert outbox,
// migrations) against the backend a Driver opens. Each backend runs it from
// one thin test:
//
//	func TestSQLiteLedger(t *testing.T) { ledgertest.Exercise(t, ledgertest.SQLite()) }
//
// The suite branches on the backend only where behaviour legitimately
// differs, through the Driver's optional hooks. The package also holds the
// test helpers several packages share (OpenSQLite, Clock, SyncBuffer,
// RowCounts).
package ledgertest

import (
	"context"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// Backend is every method a ledger backend provides: the union of the
// interfaces its consumers declare (the receiver's, reconcile's, the
// alerts', the metrics', the scheduler's and the processor's Queue) plus
// the reads the CLI and these tests use.
type Backend interface {
	ledger.Queue

	Record(ctx context.Context, ev *ledger.Event, rc *ledger.Receipt) (bool, error)
	RecordReceipt(ctx context.Context, rc *ledger.Receipt) error
	RecordRejection(r ledger.Rejection)
	SyncRejections(ctx context.Context) error
	Rejections(ctx context.Context, source string, since time.Time, limit int) ([]ledger.RejectionCount, error)
	Mode(ctx context.Context) (ledger.Mode, error)
	SetMode(ctx context.Context, m ledger.Mode) (ledger.Mode, error)
	Event(ctx context.Context, source, eventID string) (*ledger.Event, error)
	Events(ctx context.Context, f ledger.EventFilter) iter.Seq2[*ledger.Event, error]
	Receipts(ctx context.Context, source, eventID string) ([]ledger.Receipt, error)
	Attempts(ctx context.Context, eventRow int64) ([]ledger.Attempt, error)
	QueueStats(ctx context.Context) (*ledger.QueueStats, error)
	Requeue(ctx context.Context, source, eventID string) (*ledger.Requeued, error)
	RequeueDead(ctx context.Context, f ledger.DeadFilter) ([]ledger.Requeued, error)

	Known(ctx context.Context, source string, ids []string) (map[string]bool, error)
	CountPresent(ctx context.Context, source string, ids []string) (int, error)
	WindowStats(ctx context.Context, source string, since, until, stuckBefore time.Time, limit int) (ledger.WindowStats, error)
	OpenListedSet(ctx context.Context, source string) (ledger.ListedSet, error)
	StartRun(ctx context.Context, r *ledger.Run) error
	FinishRun(ctx context.Context, r *ledger.Run) error
	Watermark(ctx context.Context, source string) (t time.Time, ok bool, err error)
	LastRuns(ctx context.Context) ([]ledger.Run, error)
	RecentRuns(ctx context.Context, source string, limit int) ([]ledger.Run, error)
	StartJob(ctx context.Context, name, spec string, at time.Time) error
	FinishJob(ctx context.Context, name string, at time.Time, jobErr error) error
	Jobs(ctx context.Context) ([]ledger.JobRun, error)

	ApplyAlerts(ctx context.Context, ch ledger.AlertChange) error
	Alerts(ctx context.Context, f ledger.AlertFilter) ([]ledger.Alert, error)
	DueAlertMessages(ctx context.Context, now time.Time, limit int) ([]ledger.AlertMessage, error)
	AlertMessages(ctx context.Context, all bool, limit int) ([]ledger.AlertMessage, error)
	ClaimAlertMessage(ctx context.Context, due time.Time, lease time.Duration) (ledger.AlertMessage, bool, error)
	MarkAlertSent(ctx context.Context, id int64, channel, ts string) error
	MarkAlertFailed(ctx context.Context, id int64, errText string, next time.Time) error
	AckAlert(ctx context.Context, id int64, by string, reply *ledger.AlertMessage) (ledger.Alert, error)
	AlertsNaming(ctx context.Context, source, id string) ([]ledger.Alert, error)
	EventsInStates(ctx context.Context, states []ledger.State, before time.Time, idLimit int) ([]ledger.StateGroup, error)

	Activity(ctx context.Context, source string, now time.Time) (ledger.Activity, error)
	DeadLetters(ctx context.Context, source string, limit int) ([]*ledger.Event, error)
	EventLog(ctx context.Context, f ledger.LogFilter) (ledger.LogPage, error)
	RecordActions(ctx context.Context, acts []*ledger.Action) error
	EventActions(ctx context.Context, source, eventID string, limit int) ([]ledger.Action, error)
	RunsSince(ctx context.Context, since time.Time) ([]ledger.RunPoint, error)
	FoldTraffic(ctx context.Context) error
	Traffic(ctx context.Context, since time.Time) (map[string]*ledger.SourceTraffic, error)
	RequeueMatching(ctx context.Context, f ledger.ReplayFilter, fn func([]ledger.Requeued) error) error
	RequeueLog(ctx context.Context, f ledger.LogFilter, r ledger.LogReplay, fn func([]ledger.Requeued) error) (int, error)
	Prune(ctx context.Context, o ledger.PruneOptions) (ledger.PruneReport, error)
	PurgeDead(ctx context.Context, f ledger.PurgeFilter) (ledger.PruneReport, error)
	Tightened() []string
	TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
	ClaimTick(ctx context.Context, job string, tick time.Time, holder string) (bool, error)

	Health(ctx context.Context) error
	Ping(ctx context.Context) error
	Close() error
}

// Driver opens the backend under test.
type Driver struct {
	// Open returns a fresh, empty backend reading the time from now
	// (time.Now when nil), closed at the end of tb.
	Open func(tb testing.TB, now func() time.Time) Backend
	// Reopen closes b and opens the same store again, on the wall clock,
	// closed at the end of tb; it returns Open's error.
	Reopen func(tb testing.TB, b Backend) (Backend, error)
	// BreakMigration closes b and changes, in its store, the recorded
	// checksum of one applied migration, as an edited migration file
	// would: opening the store again must fail with
	// ledger.ErrSchemaMismatch.
	BreakMigration func(tb testing.TB, b Backend)
	// Share opens another handle on b's store, as another process
	// would, reading the time from now (time.Now when nil), closed at
	// the end of tb.
	Share func(tb testing.TB, b Backend, now func() time.Time) Backend
	// RowCounts returns the number of rows of every table of b's store,
	// plus the events per state and origin (keys "events:STATE/ORIGIN"),
	// read apart from b: what a read-only operation must leave unchanged.
	RowCounts func(tb testing.TB, b Backend) map[string]int
}

func (d Driver) open(tb testing.TB) Backend { return d.Open(tb, nil) }

// reopen is Reopen, failing tb on an error.
func (d Driver) reopen(tb testing.TB, b Backend) Backend {
	tb.Helper()
	b, err := d.Reopen(tb, b)
	if err != nil {
		tb.Fatalf("reopen: %v", err)
	}
	return b
}

// Exercise runs the whole suite against the backend d opens, one subtest
// per behaviour.
func Exercise(t *testing.T, d Driver) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, d) })
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, d Driver)
}

// cases lists every behaviour, grouped as the files of this package.
var cases = slices.Concat(recordCases, modeCases, queueCases, replayCases, lookupCases, listedSetCases, runCases,
	alertCases, migrateCases, statusCases, trafficCases, pruneCases, leaseCases)
