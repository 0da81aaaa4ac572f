package alerts

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// endpointProblems lists what is wrong with the endpoints of report r as
// the provider sees them: disabled (inactive), or sending elsewhere than
// HOOKLEDGER_PUBLIC_URL says.
func endpointProblems(r *reconcile.Report) []reconcile.EndpointReport {
	var out []reconcile.EndpointReport
	for _, e := range r.Endpoints {
		if !e.Enabled || (e.URLMatches != nil && !*e.URLMatches) {
			out = append(out, e)
		}
	}
	return out
}

// endpointCondition is the alert for the endpoints of r that the provider
// does not send to, or sends elsewhere; missed is the number of events
// backfilled while the alert has been open, this run's included.
func endpointCondition(r *reconcile.Report, bad []reconcile.EndpointReport, missed int, rl rules) condition {
	ids := make([]string, len(bad))
	for i, e := range bad {
		ids[i] = e.ID
	}
	c := newCondition(r.Source, KindEndpoint, false, missed, ids, r.Since)
	c.summary, c.body = endpointText(r, bad, missed, rl)
	return c
}

// frontCondition is the alert for deliveries the provider recorded as
// failed with a status hookledger never answers: something in front of it
// (a proxy, a load balancer) is failing.
func frontCondition(r *reconcile.Report, rl rules) condition {
	c := newCondition(r.Source, KindFrontFailing, false, r.FailedDeliveries, r.FailedDeliveryIDs, r.Since)
	c.summary, c.body = frontText(r, rl)
	return c
}

// endpointConditions returns the endpoint and front-failure conditions of
// r. The endpoint alert counts the events missed over the whole outage, so
// it reads the open one it would update.
func (a *Alerter) endpointConditions(ctx context.Context, r *reconcile.Report) ([]condition, error) {
	var out []condition
	if bad := endpointProblems(r); len(bad) > 0 {
		open, err := a.db.Alerts(ctx, ledger.AlertFilter{Fingerprint: fingerprint(r.Source, KindEndpoint)})
		if err != nil {
			return nil, err
		}
		missed := r.Backfilled + r.Redelivered
		if len(open) > 0 {
			missed += open[0].Count
		}
		out = append(out, endpointCondition(r, bad, missed, a.rl))
	}
	if r.FailedDeliveries > 0 {
		out = append(out, frontCondition(r, a.rl))
	}
	return out, nil
}

// endpointCleared says whether an open endpoint or front-failure alert
// has cleared, given a complete report r without its condition: the
// provider's view was read and is fine, and no endpoint's last response
// is a failure from in front of hookledger.
func endpointCleared(r *reconcile.Report, al ledger.Alert) bool {
	if r.EndpointError != "" {
		return false
	}
	if al.Kind == KindEndpoint {
		return len(r.Endpoints) > 0
	}
	for _, e := range r.Endpoints {
		if reconcile.FrontFailure(e.LastResponseCode) {
			return false
		}
	}
	return true
}

func endpointText(r *reconcile.Report, bad []reconcile.EndpointReport, missed int, rl rules) (string, string) {
	what := "disabled"
	if bad[0].Enabled {
		what = "sending elsewhere"
	}
	summary := fmt.Sprintf("%s: webhook endpoint %s %s", r.Source, bad[0].ID, what)
	var b strings.Builder
	for _, e := range bad {
		if !e.Enabled {
			fmt.Fprintf(&b, "*%s says endpoint %s is %s*: it sends nothing to hookledger. ", r.Source, code(e.ID), escape(e.Status))
			fmt.Fprintf(&b, "Fix: %s.\n", reenable(r.Source, e.ID))
		} else {
			fmt.Fprintf(&b, "*%s endpoint %s sends to %s*, not to this receiver (%s, from HOOKLEDGER_PUBLIC_URL). ",
				r.Source, code(e.ID), code(rl.redact(shownURL(e.URL))), code(rl.redact(shownURL(e.ExpectedURL))))
			b.WriteString("Fix: point it back at this receiver in the provider's webhook settings, or correct HOOKLEDGER_PUBLIC_URL.\n")
		}
	}
	if missed > 0 {
		fmt.Fprintf(&b, "%d %s %s missed meanwhile and %s been backfilled from the provider's API.", missed,
			plural(missed, "event"), pick(missed, "was", "were"), pick(missed, "has", "have"))
	} else {
		b.WriteString("Each reconcile backfills what it misses meanwhile.")
	}
	fmt.Fprintf(&b, "\nNext: `hookledger status`, then `hookledger reconcile --source %s --since 1d` once it is fixed", r.Source)
	return summary, b.String()
}

// reenable says how to turn a provider's endpoint back on.
func reenable(source, id string) string {
	switch source {
	case "stripe":
		return fmt.Sprintf("re-enable the endpoint in the Stripe dashboard (Developers → Webhooks → %s)", cleanID(id))
	case "github":
		return fmt.Sprintf("tick \"Active\" on the hook in the Settings → Webhooks of %s", cleanID(id))
	case "paddle":
		return fmt.Sprintf("turn the notification destination %s back on in Paddle (Developer tools → Notifications)", cleanID(id))
	default:
		return "re-enable the endpoint in the provider's webhook settings"
	}
}

func frontText(r *reconcile.Report, rl rules) (string, string) {
	codes := slices.Sorted(maps.Keys(r.FailedDeliveryCodes))
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s ×%d", c, r.FailedDeliveryCodes[c])
	}
	summary := fmt.Sprintf("%s: %d %s failed in front of hookledger", r.Source, r.FailedDeliveries,
		pick(r.FailedDeliveries, "delivery", "deliveries"))
	var b strings.Builder
	fmt.Fprintf(&b, "*%s recorded %d %s answered %s that never reached the ledger*. hookledger never answers with these codes: "+
		"a proxy or load balancer in front of it is failing.\n", r.Source, r.FailedDeliveries,
		pick(r.FailedDeliveries, "delivery", "deliveries"), strings.Join(parts, ", "))
	for _, e := range r.Endpoints {
		if e.LastResponseCode != 0 {
			fmt.Fprintf(&b, "Last response of %s: %s %s.\n", code(e.ID), strconv.Itoa(e.LastResponseCode), escape(rl.clean(e.LastResponseMessage)))
		}
	}
	fmt.Fprintf(&b, "Ids: %s\n", idList(r.FailedDeliveryIDs, r.FailedDeliveries, rl.maxIDs))
	if r.Backfilled+r.Redelivered > 0 {
		b.WriteString("They have been recovered (above). ")
	}
	fmt.Fprintf(&b, "Check the proxy's health, logs and upstream address. Next: `hookledger reconcile --source %s --since 1d`", r.Source)
	return summary, b.String()
}

// shownURL is u without its query and credentials, which may carry tokens.
func shownURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unreadable URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}
