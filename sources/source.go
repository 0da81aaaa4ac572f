// Package sources defines what hookledger needs from a webhook provider and
// the HTTP receiver that routes POST /webhooks/{name} to the named Source.
// Each provider lives in a subpackage (sources/stripe, sources/github) that
// also ships a fake of the provider's API for tests and the demo.
package sources

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// ErrSignature is wrapped by every error that means the request's signature
// is missing, malformed, stale or does not match: the receiver answers 401.
var ErrSignature = errors.New("signature verification failed")

// ErrMalformed is wrapped by every error that means the request verified
// (or carries nothing to verify) but its body or headers cannot be read as
// an event of the provider: the receiver answers 400.
var ErrMalformed = errors.New("malformed webhook")

// ErrNotSupported is returned by an optional operation a provider lacks,
// such as Redeliver for Stripe.
var ErrNotSupported = errors.New("not supported by this provider")

// Source verifies incoming webhook requests of one provider.
type Source interface {
	// Name is the path segment and ledger source name: "stripe", "github".
	Name() string
	// Verify checks the request's signature over the raw body before any
	// decoding, then returns the event it carries with Payload set to body
	// untouched and Origin webhook. Errors wrap ErrSignature or ErrMalformed.
	// Verify never includes a secret or signature value in an error.
	Verify(header http.Header, body []byte) (*ledger.Event, error)
}

// Window is a half-open time range [Since, Until) of provider event
// creation times.
type Window struct {
	Since, Until time.Time
}

// Contains reports whether t falls in the window.
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.Since) && t.Before(w.Until)
}

// Listed is one event as the provider's list API reports it.
type Listed struct {
	EventID   string
	Type      string
	CreatedAt time.Time
	Account   string // where it was sent: GitHub hook ("owner/repo:123"), Stripe account
	// Ref is a provider-specific handle for Fetch and Redeliver (the GitHub
	// delivery id of the latest attempt); "" when the provider needs none.
	Ref string
	// Status is the HTTP status the provider recorded for its latest
	// attempt to deliver the event (GitHub's status_code; 0 when it could
	// not connect, or keeps no such record).
	Status int
	// Event is the full event when the listing carries it (Stripe lists
	// whole events), ready to backfill with Origin reconcile; nil when the
	// provider needs a Fetch (GitHub deliveries carry no payload).
	Event *ledger.Event
}

// Scope says which event types a provider is expected to send to us.
type Scope struct {
	AllTypes bool     // every type is expected
	Types    []string // the subscribed types when !AllTypes
	// Note explains how the scope was found, for the report
	// ("enabled_events of we_123", "STRIPE_EVENT_TYPES", "no subscription known: expecting all types").
	Note string
}

// Expects reports whether an event of type typ is in scope.
func (s Scope) Expects(typ string) bool {
	if s.AllTypes {
		return true
	}
	for _, t := range s.Types {
		if t == typ || t == "*" {
			return true
		}
	}
	return false
}

// Lister is a Source whose provider can say what it sent, for reconcile.
//
// # The listing contract
//
// List(ctx, w) pages through the provider's list API and yields one Page
// per response (or per step of its own choosing):
//
//   - Every event the provider sent with a creation time in w is in the
//     Events of some page, exactly once. Events created outside w may be
//     yielded too; reconcile expects only those inside w.
//   - The order of events, and of pages, is free: reconcile reads nothing
//     from it.
//   - Progress is explicit. Page.Covered says: every event created in
//     Covered ∩ w has been yielded, by this page or an earlier one.
//     Reconcile keeps the union of the marks (Coverage); marks may overlap,
//     repeat, arrive in any order, and a page may carry a mark and no
//     events. A mark must never claim a time for which the listing could
//     still yield an event later; when unsure, claim less (the zero Window
//     claims nothing). Marks only matter when the listing fails: an
//     interrupted run reports as stopped_at the start of the covered
//     stretch that reaches w.Until, and the window stays incomplete.
//   - The sequence ends without an error only when everything in w has
//     been yielded. On a failure (retries exhausted, ctx ended, a
//     malformed response) it yields (Page{}, err) once and stops.
//   - Memory stays bounded by a few pages, however many events w holds and
//     however they bunch in time: yield what arrives, do not hold events
//     back to reorder them.
//
// How to mark, by the way a provider pages (resolution is the provider's
// time granularity, e.g. a second):
//
//   - newest first: after a page whose oldest event was created at c,
//     Covered is [c+resolution, w.Until), since more events created at c
//     may follow on the next page; after the last page, all of w.
//   - oldest first: after a page whose newest event was created at c,
//     Covered is [w.Since, c); after the last page, all of w.
//   - several streams at once (Stripe lists time slices concurrently):
//     each stream marks the part of its own slice it has finished, as
//     above; the union does the rest.
//   - several accounts over the same window one after the other (GitHub
//     hooks): a time is covered only once every account has been listed
//     past it, so only the last account's pages carry marks.
type Lister interface {
	Source
	// Scope returns the event types the provider is expected to send.
	Scope(ctx context.Context) (Scope, error)
	// List yields the provider's listing of w as pages, following the
	// listing contract above.
	List(ctx context.Context, w Window) iter.Seq2[Page, error]
	// Fetch returns the full event for l, to backfill with Origin reconcile.
	Fetch(ctx context.Context, l Listed) (*ledger.Event, error)
	// Redeliver asks the provider to send l to the webhook URL again; the
	// event then arrives through the receiver. ErrNotSupported if it can't.
	Redeliver(ctx context.Context, l Listed) error
	// Retention is how far back the provider's list API reaches; a gap in
	// older events can no longer be recovered from the provider.
	Retention() time.Duration
}
