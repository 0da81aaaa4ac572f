package demo

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// demoPrinter writes the story for a person: every number in it comes from the
// ledger, the reconcile reports, the providers' records or the downstream
// app's record.
type demoPrinter struct {
	out  io.Writer
	w    *demoWorld
	o    *demoOutcome
	opts Options
}

// f prints to the story.
func (p *demoPrinter) f(format string, args ...any) { fmt.Fprintf(p.out, format, args...) }

// story prints every scene and the closing check.
func (p *demoPrinter) story(ctx context.Context, checks []demoCheck) error {
	p.scene()
	p.intake()
	p.outage()
	p.reconciled()
	p.forged()
	if err := p.alerts(ctx); err != nil {
		return err
	}
	p.closing(checks)
	p.next()
	return nil
}

func (p *demoPrinter) scene() {
	w := p.w
	p.f("hookledger demo (seed %d): three providers, one ledger, one downstream app, all on 127.0.0.1\n\n", p.opts.Seed)
	tw := tabwriter.NewWriter(p.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  fake Stripe API\t%s\twebhook endpoint %s, subscribed to %d event types\n",
		w.stripe.URL, w.endpoint.ID, len(w.endpoint.EnabledEvents))
	fmt.Fprintf(tw, "  fake GitHub API\t%s\thook %s\n", w.github.URL, w.hook)
	fmt.Fprintf(tw, "  fake Paddle API\t%s\tnotification destination %s\n", w.paddle.URL, w.paddleSetting.ID)
	fmt.Fprintf(tw, "  hookledger\t%s\tPOST /webhooks/stripe, /webhooks/github, /webhooks/paddle; forwards to the app\n", w.receiverURL)
	fmt.Fprintf(tw, "  status page\t%s\tsign in with the one-time token %s (--stay keeps it open after the story)\n", w.adminURL, w.adminToken)
	fmt.Fprintf(tw, "  downstream app\t%s\tstands in for your code: verifies webhook-signature, counts Idempotency-Key\n", w.down.URL())
	where := "a temporary file, removed at exit (--db PATH keeps it)"
	if p.opts.Keep {
		where = "kept after the demo"
	}
	fmt.Fprintf(tw, "  ledger\t%s\t%s\n", p.opts.DB, where)
	fmt.Fprintf(tw, "  alerts\t%s\n", demoAlertWhere(w.app.Alerter.Transport()))
	tw.Flush()
}

// demoAlertWhere says, in two tab-separated columns, where the alerts go.
func demoAlertWhere(transport string) string {
	if transport == "log" {
		return "this terminal\tset SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and SLACK_CHANNEL, to post them to Slack"
	}
	return "Slack (" + transport + ")\tas SLACK_* in the environment says"
}

func (p *demoPrinter) intake() {
	tr, st, gh, pd := p.o.tr, p.o.facts["stripe"], p.o.facts["github"], p.o.facts["paddle"]
	p.f("\n1. Webhooks arrive, and webhooks are hard\n")
	p.f("   What the providers did, from their own records:\n")
	p.f("     stripe  %d events for the endpoint: %d never arrived (endpoint unreachable), %d sent twice, the last third shuffled\n",
		len(tr.stripeEvents), len(tr.stripe.Dropped), len(tr.stripe.Duplicated))
	p.f("             + %d %s events the endpoint does not subscribe to: listed by the API, never sent\n",
		len(tr.stripeUnsub), strings.Join(demoStripeUnsubscribedTypes, "/"))
	p.f("             + 1 forged %s signed with a leaked secret, and 1 request signed with a guessed one\n", tr.forged.Type)
	p.f("     github  %d deliveries: %d failed (endpoint unreachable, never arrived), %d sent twice, the last third shuffled\n",
		len(tr.github.Delivered)+len(tr.github.Dropped), len(tr.github.Dropped), len(tr.github.Duplicated))
	p.f("     paddle  %d notifications: %d failed (never arrived), %d sent twice\n",
		len(tr.paddleEvents), len(tr.paddle.Dropped), len(tr.paddle.Duplicated))
	p.f("   What the ledger recorded (a receipt for every request answered):\n")
	for _, f := range []demoFacts{st, gh, pd} {
		p.f("     %-6s  %d requests: %d new events stored, %d duplicates answered 2xx and stored once, %d rejected\n",
			f.Source, f.Requests, f.Accepted, f.Duplicates, f.Rejected)
		p.f("             %d arrived after an event the provider created later: stored as they came, processed oldest first\n",
			f.OutOfOrder)
		if len(f.DupIDs) > 0 {
			p.f("             deduplicated, e.g. %s\n", demoIDs(f.DupIDs, 2))
		}
	}
}

func (p *demoPrinter) outage() {
	p.f("\n2. The downstream app goes down for a while\n")
	p.f("   It answered 503 with Retry-After: %d to %d requests. hookledger kept each event and retried it when asked:\n",
		int(demoRetryAfter/time.Second), p.o.down.Refused)
	var ex demoFacts
	for _, name := range []string{"stripe", "github", "paddle"} {
		f := p.o.facts[name]
		p.f("     %-6s  %d events retried and recovered (%d failed attempts, at most %d attempts for one event), %d dead\n",
			name, f.Retried, f.Failures, f.MostAttempts, f.Dead)
		if f.RetryExample != nil && len(f.RetryAttempts) > len(ex.RetryAttempts) {
			ex = f
		}
	}
	if ex.RetryExample == nil {
		return
	}
	p.f("   e.g. %s %s (%s):\n", ex.Source, ex.RetryExample.EventID, ex.RetryExample.Type)
	for _, a := range ex.RetryAttempts {
		why := ""
		if a.Error != "" {
			why = ": " + a.Error
		}
		p.f("     attempt %d  %-9s %s%s\n", a.Attempt, a.Outcome, a.StartedAt.Format("15:04:05.000"), why)
	}
}

func (p *demoPrinter) reconciled() {
	if len(p.o.first) == 0 {
		p.f("\n3. Reconcile: skipped\n")
		return
	}
	r0 := p.o.first[0]
	p.f("\n3. Reconcile: ask each provider what it sent, and backfill what the ledger lacks\n")
	p.f("   window %s – %s (the last hour), mode %s\n", r0.Since.Format(time.TimeOnly), r0.Until.Format("15:04:05 UTC"), r0.Mode)
	tw := tabwriter.NewWriter(p.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "     source\texpected\tin ledger\tmissing\tbackfilled\tstill missing\tunknown\t\n")
	for _, r := range p.o.first {
		fmt.Fprintf(tw, "     %s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.Source, r.Expected, r.InLedger, r.Missing, r.Backfilled, r.StillMissing, r.Unknown)
	}
	tw.Flush()
	for _, r := range p.o.first {
		p.f("   %s: %d missing (%s), e.g. %s\n", r.Source, r.Missing, demoCountsByType(r.MissingByType), demoIDs(r.MissingIDs, 3))
	}
	p.f("   backfilled events went through the same processor: %d reached the app with Hookledger-Origin: reconcile\n",
		p.countOrigin(string(ledger.OriginReconcile)))
	st := demoReportOf(p.o.first, "stripe")
	p.f("   not counted as gaps: %d Stripe events of types the endpoint does not subscribe to (scope: %s)\n",
		len(p.o.tr.stripeUnsub), st.Scope)
	for _, r := range p.o.second {
		p.f("   again over the same window: %s %d missing, complete %t\n", r.Source, r.Missing, r.Complete && !r.Gaps())
	}
}

func (p *demoPrinter) countOrigin(origin string) int {
	n := 0
	for _, o := range p.o.down.Origins {
		if o == origin {
			n++
		}
	}
	return n
}

func (p *demoPrinter) forged() {
	id := p.o.tr.forged.ID
	st := demoReportOf(p.o.first, "stripe")
	p.f("\n4. A forged event\n")
	p.f("   stripe %s (%s) carried a valid signature, made with a leaked secret.\n", id, p.o.tr.forged.Type)
	p.f("   At intake it is indistinguishable from Stripe, so it is in the ledger and the app processed it (%d time).\n",
		p.o.down.Processed[demoKey{"stripe", id}])
	p.f("   Reconcile asked Stripe, which never sent it: flagged unknown (%d: %s). The alert calls it a security signal.\n",
		st.Unknown, demoIDs(st.UnknownIDs, 3))
	p.f("   The request signed with a guessed secret was answered %d and only its receipt was kept.\n", p.o.tr.guessedStatus)
}

// alerts prints the alert outbox, oldest first: what was, or would be,
// posted to Slack.
func (p *demoPrinter) alerts(ctx context.Context) error {
	msgs, err := p.w.app.DB.AlertMessages(ctx, true, 100)
	if err != nil {
		return fmt.Errorf("demo: read alerts: %w", err)
	}
	slices.Reverse(msgs)
	verb := "would be posted to Slack"
	if p.w.app.Alerter.Transport() != "log" {
		verb = "posted to Slack"
	}
	p.f("\n5. The alerts (%d messages, %s)\n", len(msgs), verb)
	for _, m := range msgs {
		label := m.Source + " alert"
		if m.Kind == "resolved" {
			label = m.Source + " reply in the thread"
		}
		p.f("   ┌─ %s\n", label)
		for _, line := range strings.Split(m.Text, "\n") {
			p.f("   │ %s\n", line)
		}
		p.f("   └─\n")
	}
	return nil
}

func (p *demoPrinter) closing(checks []demoCheck) {
	p.f("\n6. The closing check\n")
	for _, c := range checks {
		mark := "ok  "
		if !c.ok {
			mark = "FAIL"
		}
		p.f("   [%s] %s\n", mark, c.text)
	}
}

func (p *demoPrinter) next() {
	db := p.opts.DB
	p.f("\nNext:\n")
	if !p.opts.Keep {
		db = "demo.db"
		p.f("  hookledger demo --db demo.db          # run again and keep the ledger, then:\n")
	}
	p.f("  hookledger events list --db %s --source stripe --state processed\n", db)
	p.f("  hookledger events show --db %s stripe %s   # the forged event, its receipt and attempts\n", db, p.o.tr.forged.ID)
	p.f("  hookledger status --db %s\n", db)
	p.f("  hookledger reconcile --since 1h --dry-run --db %s\n", db)
	p.f("    (reconcile asks the providers: the demo's fakes are gone once it exits, so point STRIPE_API_KEY,\n")
	p.f("     STRIPE_WEBHOOK_ENDPOINT_ID, GITHUB_TOKEN and GITHUB_HOOKS at real accounts first; see the README)\n")
	p.f("  (from a checkout, `go run ./cmd/hookledger` in place of `hookledger`)\n")
}

// demoIDs lists up to n ids and how many more there are.
func demoIDs(ids []string, n int) string {
	if len(ids) == 0 {
		return "none"
	}
	s := strings.Join(ids[:min(n, len(ids))], ", ")
	if len(ids) > n {
		s += fmt.Sprintf(" and %d more", len(ids)-n)
	}
	return s
}

// demoCountsByType renders counts per type, largest first.
func demoCountsByType(m map[string]int) string {
	types := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(types, func(a, b string) int { return m[b] - m[a] })
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%s %d", t, m[t])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
