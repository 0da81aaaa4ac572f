package alerts

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// Message text is Slack mrkdwn built only from ids, types, counts, times
// and commands: never a payload, and every error string passes through
// redactor.clean so no configured secret can reach it.

func failedText(r *reconcile.Report, rl rules, now time.Time) (string, string) {
	summary := fmt.Sprintf("%s: reconcile run failed", r.Source)
	why := "the listing did not finish"
	if r.Error != "" {
		why = escape(rl.clean(r.Error))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Reconcile run failed* for %s: %s\n", r.Source, why)
	b.WriteString("The window was not fully compared, so gaps in it may be hidden.")
	if r.StoppedAt != nil {
		fmt.Fprintf(&b, " Listing stopped at %s.", stamp(*r.StoppedAt))
	}
	fmt.Fprintf(&b, "\nNext: `hookledger reconcile --source %s --since %s`", r.Source, sinceArg(now, r.Since))
	return summary, b.String()
}

func recoveredText(r *reconcile.Report, rl rules) (string, string) {
	summary := fmt.Sprintf("%s: %d missing %s found", r.Source, r.Missing, plural(r.Missing, "event"))
	var b strings.Builder
	fmt.Fprintf(&b, "*Found %d missing %s* in %s's list that the ledger did not have.\n",
		r.Missing, plural(r.Missing, "event"), r.Source)
	if t := byType(r.MissingByType); t != "" {
		fmt.Fprintf(&b, "By type: %s\n", t)
	}
	fmt.Fprintf(&b, "Ids: %s\n", idList(r.MissingIDs, r.Missing, rl.maxIDs))
	var done []string
	if r.Backfilled > 0 {
		done = append(done, fmt.Sprintf("backfilled %d from the provider's API", r.Backfilled))
	}
	if r.Redelivered > 0 {
		done = append(done, fmt.Sprintf("asked %s to redeliver %d", r.Source, r.Redelivered))
	}
	fmt.Fprintf(&b, "Done: %s; they go through the processor like any webhook.", strings.Join(done, ", "))
	if r.StillMissing > 0 {
		fmt.Fprintf(&b, " %d still missing (below).", r.StillMissing)
	}
	return summary, b.String()
}

func missingText(r *reconcile.Report, rl rules, now time.Time) (string, string) {
	summary := fmt.Sprintf("%s: %d %s still missing", r.Source, r.StillMissing, plural(r.StillMissing, "event"))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d %s still missing* from the ledger.", r.StillMissing, plural(r.StillMissing, "event"))
	if r.DryRun {
		b.WriteString(" (Dry run: nothing was changed.)")
	} else if r.Redelivered > 0 {
		b.WriteString(" Some were asked for again and may still arrive.")
	}
	fmt.Fprintf(&b, "\nIds: %s\n", idList(r.StillMissingIDs, r.StillMissing, rl.maxIDs))
	fmt.Fprintf(&b, "Next: `hookledger reconcile --source %s --since %s`", r.Source, sinceArg(now, r.Since))
	return summary, b.String()
}

func unrecoverableText(r *reconcile.Report) (string, string) {
	summary := fmt.Sprintf("%s: %d missing %s can no longer be recovered", r.Source, r.Unrecoverable,
		plural(r.Unrecoverable, "event"))
	body := fmt.Sprintf("*%d missing %s can no longer be recovered*: they are older than what %s's API keeps, "+
		"so hookledger cannot backfill them or ask for them again. Rebuild what they carried from your own "+
		"records or the provider's dashboard.", r.Unrecoverable, plural(r.Unrecoverable, "event"), r.Source)
	return summary, body
}

func unknownText(r *reconcile.Report, rl rules) (string, string) {
	summary := fmt.Sprintf("%s: %d unknown %s (security signal)", r.Source, r.Unknown, plural(r.Unknown, "event"))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d unknown %s*: received with a valid signature, but %s's API does not know %s. ",
		r.Unknown, plural(r.Unknown, "event"), r.Source, pick(r.Unknown, "it", "them"))
	b.WriteString("This is a security signal: the webhook secret may have leaked, or the events come from the wrong account.")
	if r.Source == "github" {
		// GitHub signs the body only: a captured delivery resent under a
		// new X-GitHub-Delivery id verifies, and only reconcile can tell.
		b.WriteString(" For GitHub it is also what a replayed delivery looks like: GitHub signs only the body, " +
			"so a captured delivery resent under a new X-GitHub-Delivery id verifies; compare its payload with the deliveries GitHub lists.")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "Ids: %s\n", idList(r.UnknownIDs, r.Unknown, rl.maxIDs))
	first := "EVENT_ID"
	if len(r.UnknownIDs) > 0 {
		first = cleanID(r.UnknownIDs[0])
	}
	fmt.Fprintf(&b, "Next: `hookledger events show %s %s`; rotate the webhook secret if you did not send them.", r.Source, first)
	return summary, b.String()
}

func ratioText(r *reconcile.Report, ratio float64) (string, string) {
	pct := int(math.Floor(ratio * 100))
	summary := fmt.Sprintf("%s: only %d%% of the window's events processed", r.Source, pct)
	body := fmt.Sprintf("*Only %d%% of the window's events are processed* (%d of the %d that have been in the ledger "+
		"longer than the stuck threshold; %d expected). Pending %d, stuck %d, dead %d.\n"+
		"Next: `hookledger events list --source %s --state failed`",
		pct, r.DueProcessed, r.Due, r.Expected, r.Pending, r.Stuck, r.Dead, r.Source)
	return summary, body
}

func deadText(g ledger.StateGroup, rl rules) (string, string) {
	summary := fmt.Sprintf("%s: %d dead %s", g.Source, g.Count, plural(g.Count, "event"))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d dead %s*: out of attempts or rejected by the handler; they are not processed.\n",
		g.Count, plural(g.Count, "event"))
	fmt.Fprintf(&b, "By type: %s\nIds: %s\n", byType(g.ByType), idList(g.IDs, g.Count, rl.maxIDs))
	fmt.Fprintf(&b, "Next: fix the handler, then `hookledger replay --dead --source %s`", g.Source)
	if len(g.IDs) > 0 {
		fmt.Fprintf(&b, " (or one: `hookledger replay %s %s`)", g.Source, cleanID(g.IDs[0]))
	}
	return summary, b.String()
}

func stuckText(g ledger.StateGroup, rl rules) (string, string) {
	summary := fmt.Sprintf("%s: %d %s stuck", g.Source, g.Count, plural(g.Count, "event"))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d %s stuck* pending or failing for more than %s (oldest received %s).\n",
		g.Count, plural(g.Count, "event"), rl.stuckAfter, stamp(g.Oldest))
	fmt.Fprintf(&b, "By type: %s\nIds: %s\n", byType(g.ByType), idList(g.IDs, g.Count, rl.maxIDs))
	fmt.Fprintf(&b, "Next: check the handler is up, then `hookledger events list --source %s --state failed`", g.Source)
	return summary, b.String()
}

// idList renders up to limit ids as code, noting how many more there are.
func idList(ids []string, total, limit int) string {
	if len(ids) == 0 {
		return "(not listed)"
	}
	shown := ids[:min(len(ids), limit)]
	parts := make([]string, len(shown))
	for i, id := range shown {
		parts[i] = code(id)
	}
	s := strings.Join(parts, ", ")
	if more := max(total, len(ids)) - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// byType renders counts per type, largest first.
func byType(m map[string]int) string {
	types := slices.Collect(maps.Keys(m))
	slices.SortFunc(types, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(types))
	for i, t := range types {
		name := t
		if name == "" {
			name = "(no type)"
		}
		parts[i] = fmt.Sprintf("%s %d", escape(name), m[t])
	}
	return strings.Join(parts, ", ")
}

// sinceArg is a --since value reaching back from now to since, rounded up
// to whole hours, or whole days past two days.
func sinceArg(now, since time.Time) string {
	hours := int(math.Ceil(now.Sub(since).Hours()))
	switch {
	case hours < 1:
		return "1h"
	case hours > 48:
		return fmt.Sprintf("%dd", (hours+23)/24)
	default:
		return fmt.Sprintf("%dh", hours)
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// code renders an id as inline code, stripping what would break out of it.
func code(s string) string { return "`" + cleanID(s) + "`" }

func cleanID(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '`' || r < ' ' {
			return -1
		}
		return r
	}, s)
	return escape(s)
}

// escape makes s safe in Slack mrkdwn: &, < and > are control characters.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func plural(n int, word string) string { return pick(n, word, word+"s") }

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func silenceText(s Silence, now time.Time) (string, string) {
	silent := roundDuration(time.Duration(s.SilentSeconds * float64(time.Second)))
	summary := fmt.Sprintf("%s: no events for %s", s.Source, silent)
	var b strings.Builder
	fmt.Fprintf(&b, "*%s has sent nothing for %s*: its last event arrived %s.\n", s.Source, silent, stamp(*s.LastEventAt))
	if s.LimitSeconds > 0 {
		fmt.Fprintf(&b, "The limit set for it is %s (HOOKLEDGER_SILENCE).", roundDuration(time.Duration(s.LimitSeconds*float64(time.Second))))
		if s.UsualPerHour > 0 {
			fmt.Fprintf(&b, " Usually about %s an hour at this time.", perHour(s.UsualPerHour))
		}
	} else {
		fmt.Fprintf(&b, "Usually about %s an hour at this time (by %s): about %.0f would have come since.",
			perHour(s.UsualPerHour), s.Basis, s.ExpectedSinceLast)
	}
	fmt.Fprintf(&b, "\nCheck: the provider's status page; that its webhook endpoint is enabled and still points at this receiver; "+
		"the proxy or load balancer in front of hookledger; rejected requests in the receiver's log.\nNext: `hookledger status`, "+
		"then `hookledger reconcile --source %s --since %s` where the provider can list", s.Source, sinceArg(now, *s.LastEventAt))
	return summary, b.String()
}

// perHour renders a rate of events per hour.
func perHour(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0f events", r)
	}
	return fmt.Sprintf("%.1f events", r)
}

// roundDuration rounds d for people: to the minute past an hour, to the second below.
func roundDuration(d time.Duration) time.Duration {
	if d >= time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

func processedText(r *reconcile.Report, t reconcile.TypeCount, rl rules) (string, string) {
	share := float64(t.JudgedProcessed) / float64(t.Judged)
	pct := math.Floor(share*1000) / 10
	name := t.Type
	if name == "" {
		name = "(no type)"
	}
	summary := fmt.Sprintf("%s: %s only %.1f%% processed", r.Source, name, pct)
	grace := time.Duration(r.ProcessingGraceSecs * float64(time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%s: only %d of %d processed (%.1f%%)*, under the %s%% of HOOKLEDGER_PROCESSED_MIN. "+
		"Counted: the %s events %s sent in the window that have been in the ledger for over %s.\n",
		escape(name), t.JudgedProcessed, t.Judged, pct, strconv.FormatFloat(rl.processedMin*100, 'f', -1, 64),
		escape(name), r.Source, grace)
	fmt.Fprintf(&b, "Of all %d expected: processed %d, waiting %d, dead %d, missing %d.\n",
		t.Expected, t.Processed, t.Waiting, t.Dead, t.Missing)
	fmt.Fprintf(&b, "Next: `hookledger events list --source %s --state dead`; fix the handler, then `hookledger replay --dead --source %s`",
		r.Source, r.Source)
	return summary, b.String()
}
