package ledger

import (
	"fmt"
	"time"
)

// State is where an event is in processing. The lifecycle:
//
//	pending ──claim──▶ processing ──ok──▶ processed
//	   ▲                   │
//	   │                   ├──error, attempts left──▶ failed ──due──▶ (claimable again)
//	   │                   └──permanent error or last attempt──▶ dead
//	   └──────────────── replay (from any state) ◀─────────────────────┘
//
// A processing event whose lease expires (its worker died) is claimable
// again. The CHECK constraint on events.state mirrors these values.
type State string

const (
	StatePending    State = "pending"    // recorded, waiting for its first attempt
	StateProcessing State = "processing" // claimed by a worker under a lease
	StateProcessed  State = "processed"  // the handler succeeded; terminal
	StateFailed     State = "failed"     // an attempt failed; retried at NextAttemptAt
	StateDead       State = "dead"       // out of attempts or permanently rejected; replay revives it
)

// States lists every State in lifecycle order.
var States = []State{StatePending, StateProcessing, StateProcessed, StateFailed, StateDead}

// ParseState returns the State named s, or an error naming the valid ones.
func ParseState(s string) (State, error) {
	for _, st := range States {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown state %q (want pending, processing, processed, failed or dead)", s)
}

// Origin is how an event entered the ledger.
type Origin string

const (
	OriginWebhook   Origin = "webhook"   // a live, verified webhook request
	OriginReconcile Origin = "reconcile" // backfilled from the provider's list API
	OriginReplay    Origin = "replay"    // fed again by hand (recorded on attempts)
)

// Event is one provider event in the ledger.
type Event struct {
	ID          int64             // ledger row id; 0 before Record
	Source      string            // "stripe", "github", …
	EventID     string            // the provider's id: evt_…, or the X-GitHub-Delivery GUID
	Type        string            // provider event type: "invoice.paid", "push"
	Action      string            // GitHub's payload action, "" when none
	Account     string            // provider-side target: GitHub hook id, Stripe account
	ContentType string            // content type the payload arrived with
	Headers     map[string]string // non-secret provider headers worth replaying (never signatures)
	Payload     []byte            // the raw body, byte for byte as received
	CreatedAt   time.Time         // when the provider says the event happened
	ReceivedAt  time.Time         // when the ledger first recorded it
	Origin      Origin

	State         State
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	ProcessedAt   time.Time
	UpdatedAt     time.Time
	// PayloadPrunedAt is when retention dropped the payload of this
	// processed event (Payload is then empty); zero while it is kept.
	PayloadPrunedAt time.Time
}

// Receipt is one HTTP request answered by the receiver.
type Receipt struct {
	ID         int64
	Source     string
	EventID    string // "" when the request was rejected before an id was known
	Outcome    Outcome
	Reason     string // why a request was rejected; never a secret or signature
	Status     int    // the HTTP status answered
	RemoteAddr string
	BodySize   int
	Duration   time.Duration
	ReceivedAt time.Time
}

// Outcome is what the receiver did with a request.
type Outcome string

const (
	OutcomeAccepted  Outcome = "accepted"  // a new event, committed
	OutcomeDuplicate Outcome = "duplicate" // an event already in the ledger
	OutcomeRejected  Outcome = "rejected"  // not stored; the receiver aggregates these (RecordRejection) rather than keep a row each
)

// Attempt is one run of the handler on an event.
type Attempt struct {
	ID        int64
	EventRow  int64
	Attempt   int
	Origin    Origin
	StartedAt time.Time
	Duration  time.Duration
	Outcome   string // processed, retry, dead, released
	Error     string
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
