package ledger

import (
	"context"
	"errors"
	"time"
)

// Delivery is one attempt to hand an event to a Handler.
type Delivery struct {
	Event   *Event
	Attempt int    // 1 for the first attempt; keeps counting across retries and replays
	Origin  Origin // the event's origin, or OriginReplay when replayed by hand
}

// Handler is the user's processing of an event. Handle returns nil when the
// event was processed; an error the processor retries with backoff; or an
// error wrapped with Permanent that sends the event to dead at once.
// Handle must respect ctx: the processor cancels it at the attempt timeout
// and at shutdown after the grace period.
//
// The processor may call Handle more than once for the same event (after a
// crash, a lost lease or a replay): handlers should be idempotent on
// Delivery.Event.Source and EventID.
type Handler interface {
	Handle(ctx context.Context, d Delivery) error
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, d Delivery) error

// Handle calls f(ctx, d).
func (f HandlerFunc) Handle(ctx context.Context, d Delivery) error { return f(ctx, d) }

var _ Handler = HandlerFunc(nil)

// permanentError marks an error retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not retryable: the processor moves the event to
// dead at once, keeping err's text as the reason. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent. It is false for nil.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError carries the delay a downstream asked for before the
// next attempt.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter marks err as retryable no sooner than after: the processor
// schedules the next attempt after that delay (capped at RetryMax, zero
// when negative) instead of its own backoff. The attempt still counts
// towards MaxAttempts. RetryAfter(nil, d) is nil.
func RetryAfter(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, after: after}
}

// RetryDelay returns the delay err, or an error it wraps, was marked with
// by RetryAfter; ok is false when it was not.
func RetryDelay(err error) (after time.Duration, ok bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.after, true
	}
	return 0, false
}
