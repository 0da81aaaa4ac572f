package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// TestServeScheduleBackfillsAndAlerts runs serve with a schedule of a few
// seconds against the fake Stripe API: without any manual command, the
// scheduled reconcile must backfill the webhook that never arrived, the
// processor must deliver it once, and Slack must hear about it.
func TestServeScheduleBackfillsAndAlerts(t *testing.T) {
	eachLedger(t, func(t *testing.T, dsn string) {
		const secret = "whsec_schedule_e2e"
		fake := stripetest.NewServer()
		defer fake.Close()
		slack := newSlackRecorder(t)
		app := newCountingApp(t)
		vars := slack.vars(dsn)
		for k, v := range map[string]string{
			"STRIPE_WEBHOOK_SECRET":  secret,
			"STRIPE_API_KEY":         fake.APIKey(),
			"STRIPE_API_BASE":        fake.URL,
			"HOOKLEDGER_FORWARD_URL": app.srv.URL,
			"HOOKLEDGER_SCHEDULE":    "reconcile=@every 2s;alerts=@every 1s",
		} {
			vars[k] = v
		}
		url, stderr := startServeInProcess(t, vars)

		ctx := context.Background()
		created := time.Now().Add(-time.Minute)
		var events []*stripetest.Event
		for i := 0; i < 10; i++ {
			events = append(events, fake.AddEvent("invoice.paid", created.Add(time.Duration(i)*time.Second), nil))
		}
		dropped := events[4]
		sender := stripetest.NewSender(url+"/webhooks/stripe", secret)
		for _, ev := range events {
			if ev == dropped {
				continue // the endpoint "was down" for this one
			}
			if st, err := sender.Send(ctx, ev); err != nil || st != http.StatusOK {
				t.Fatalf("send %s: %d, %v", ev.ID, st, err)
			}
		}

		db := openTestLedger(t, dsn)
		deadline := time.Now().Add(45 * time.Second)
		for {
			ev, err := db.Event(ctx, "stripe", dropped.ID)
			alerted := false
			for _, text := range slack.texts() {
				alerted = alerted || strings.Contains(text, dropped.ID)
			}
			if err == nil && ev.State == ledger.StateProcessed && alerted {
				if ev.Origin != ledger.OriginReconcile {
					t.Errorf("backfilled event origin = %s, want reconcile", ev.Origin)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 45s: event %v (err %v), slack texts %q\nlogs:\n%s", ev, err, slack.texts(), stderr)
			}
			time.Sleep(200 * time.Millisecond)
		}
		for _, ev := range events {
			if n := app.count(ev.ID); n != 1 {
				t.Errorf("downstream got %s %d times, want once", ev.ID, n)
			}
		}
	})
}
