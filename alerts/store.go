package alerts

import (
	"context"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// Store is what an Alerter needs of the ledger: the alerts it opened, the
// outbox it delivers from, and the event states it checks. *ledger.DB
// implements it; cmd wires it.
type Store interface {
	// Alerts returns the alerts f selects.
	Alerts(ctx context.Context, f ledger.AlertFilter) ([]ledger.Alert, error)
	// ApplyAlerts opens, updates and resolves alerts and queues their
	// messages in the outbox, in one transaction.
	ApplyAlerts(ctx context.Context, ch ledger.AlertChange) error
	// ClaimAlertMessage claims for lease the oldest outbox message due
	// at due that no deliverer holds; ok is false when there is none.
	ClaimAlertMessage(ctx context.Context, due time.Time, lease time.Duration) (m ledger.AlertMessage, ok bool, err error)
	// MarkAlertSent records that message id was delivered as channel/ts.
	MarkAlertSent(ctx context.Context, id int64, channel, ts string) error
	// MarkAlertFailed records a failed delivery of message id and when to
	// try again, giving up its claim.
	MarkAlertFailed(ctx context.Context, id int64, errText string, next time.Time) error
	// AckAlert resolves the open alert id as acknowledged by by, queueing
	// reply (when not nil) in its thread.
	AckAlert(ctx context.Context, id int64, by string, reply *ledger.AlertMessage) (ledger.Alert, error)
	// EventsInStates groups by source the events in states (created
	// before before, when not zero), with up to idLimit ids each.
	EventsInStates(ctx context.Context, states []ledger.State, before time.Time, idLimit int) ([]ledger.StateGroup, error)
	// CountPresent counts how many of ids the ledger holds for source.
	CountPresent(ctx context.Context, source string, ids []string) (int, error)
	// FoldTraffic folds the live events recorded since the last fold into
	// the hourly traffic counts silence is learned from.
	FoldTraffic(ctx context.Context) error
	TrafficReader
}

// TrafficReader is what Silences reads: the hourly traffic per source
// since a time.
type TrafficReader interface {
	Traffic(ctx context.Context, since time.Time) (map[string]*ledger.SourceTraffic, error)
}
