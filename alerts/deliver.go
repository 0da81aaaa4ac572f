package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/timing"
)

// claimLease is how long a claimed outbox message is this deliverer's:
// well past one post and its pacing. A deliverer that dies holding one
// leaves it to the others after that long.
const claimLease = time.Minute

// DeliveryError is returned by Deliver when a message could not be sent.
// The message stays in the outbox and is tried again at RetryAt. Its text
// never carries the bot token or webhook URL.
type DeliveryError struct {
	MessageID int64
	RetryAt   time.Time
	msg       string
}

// Error names the message, the cleaned cause and the next attempt.
func (e *DeliveryError) Error() string {
	return fmt.Sprintf("deliver alert message %d: %s (next attempt %s)", e.MessageID, e.msg, e.RetryAt.UTC().Format(time.RFC3339))
}

// Deliver sends every due message in the outbox, in the order queued, a
// reply only after the message it threads under. Each message is claimed
// before it is sent, so that Alerters of several processes sharing the
// ledger post each message once between them. It returns how many it
// sent. On the first failure it stops and returns a *DeliveryError: that
// message waits for its next attempt (a 429's Retry-After, else a doubling
// backoff), and nothing is sent before a Retry-After has passed.
func (a *Alerter) Deliver(ctx context.Context) (int, error) { return a.deliver(ctx, false) }

// Flush is Deliver for `hookledger alerts flush`: every undelivered
// message is due now, whatever its next attempt time.
func (a *Alerter) Flush(ctx context.Context) (int, error) { return a.deliver(ctx, true) }

func (a *Alerter) deliver(ctx context.Context, force bool) (int, error) {
	a.deliverMu.Lock()
	defer a.deliverMu.Unlock()
	sent := 0
	for {
		if sent > 0 && a.cfg.Pace > 0 {
			if err := timing.Sleep(ctx, a.cfg.Pace); err != nil {
				return sent, err
			}
		}
		now := a.cfg.Now()
		if now.Before(a.holdUntil) {
			return sent, nil
		}
		dueAt := now
		if force {
			dueAt = now.AddDate(100, 0, 0)
		}
		// One message at a time, claimed: other processes sharing the
		// ledger deliver the others, and none posts this one.
		m, ok, err := a.db.ClaimAlertMessage(ctx, dueAt, claimLease)
		if err != nil {
			return sent, fmt.Errorf("deliver alerts: %w", err)
		}
		if !ok {
			return sent, nil
		}
		if err := a.deliverOne(ctx, m); err != nil {
			return sent, err
		}
		sent++
	}
}

func (a *Alerter) deliverOne(ctx context.Context, m ledger.AlertMessage) error {
	channel, ts, err := a.send.send(ctx, m)
	if err != nil {
		return a.failed(ctx, m, err)
	}
	if err := a.db.MarkAlertSent(ctx, m.ID, channel, ts); err != nil {
		// Sent but not recorded: it may be posted twice, never lost.
		return fmt.Errorf("deliver alerts: %w", err)
	}
	return nil
}

// failed records a failed delivery and decides when to try again.
func (a *Alerter) failed(ctx context.Context, m ledger.AlertMessage, sendErr error) error {
	now := a.cfg.Now()
	wait := a.backoff(m.Attempts)
	var rl *slack.RateLimitedError
	if errors.As(sendErr, &rl) {
		wait = max(rl.RetryAfter, time.Second)
		a.holdUntil = now.Add(wait)
	}
	de := &DeliveryError{MessageID: m.ID, RetryAt: now.Add(wait), msg: a.rl.clean(sendErr.Error())}
	if err := a.db.MarkAlertFailed(ctx, m.ID, de.msg, de.RetryAt); err != nil {
		return errors.Join(de, fmt.Errorf("deliver alerts: %w", err))
	}
	return de
}

// backoff is the wait after a message's attempts-th failure: RetryBase,
// doubling, at most RetryMax.
func (a *Alerter) backoff(attempts int) time.Duration {
	d := a.cfg.RetryBase
	for i := 0; i < attempts && d < a.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, a.cfg.RetryMax)
}

// Run delivers the outbox every Config.FlushEvery, and at once after new
// alerts, until ctx ends; then it returns nil. Delivery failures are
// logged and retried, never returned.
func (a *Alerter) Run(ctx context.Context) error {
	a.running.Store(true)
	defer a.running.Store(false)
	tick := time.NewTicker(a.cfg.FlushEvery)
	defer tick.Stop()
	for {
		if n, err := a.Deliver(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("alert delivery failed", "transport", a.send.name(), "sent", n, "error", err)
		} else if n > 0 {
			a.log.Info("alerts delivered", "transport", a.send.name(), "sent", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-a.wake:
		}
	}
}

// kick delivers new outbox messages: it wakes Run when Run is running,
// else delivers right away, logging (not returning) a failure because the
// messages are safe in the outbox.
func (a *Alerter) kick(ctx context.Context) {
	if a.running.Load() {
		select {
		case a.wake <- struct{}{}:
		default:
		}
		return
	}
	if _, err := a.Deliver(ctx); err != nil {
		a.log.Warn("alert delivery failed; queued for retry", "transport", a.send.name(), "error", err)
	}
}
