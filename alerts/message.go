package alerts

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// Slack's limits: a header's text is at most 150 characters, a section's
// 3,000; longer ones make chat.postMessage fail with invalid_blocks.
const (
	maxHeader  = 150
	maxSection = 3000
)

// buildMessage renders the conditions of one source (one run or one check)
// as a single outbox message: Block Kit blocks plus a plain-text fallback.
// Every string passes through rl.redact on the way in.
func buildMessage(rl rules, source, contextLine string, conds []condition) (*ledger.AlertMessage, error) {
	summaries := make([]string, len(conds))
	for i, c := range conds {
		summaries[i] = rl.redact(c.summary)
		if i > 0 && source != "" {
			summaries[i] = strings.TrimPrefix(summaries[i], source+": ")
		}
	}
	contextLine = rl.redact(contextLine)
	title := truncate("hookledger · "+strings.Join(summaries, "; "), maxHeader)
	blocks := []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, title, false, false))}
	text := []string{title}
	for _, c := range conds {
		body := truncate(rl.redact(c.body), maxSection)
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, body, false, false), nil, nil))
		text = append(text, body)
	}
	if contextLine != "" {
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, truncate(contextLine, maxSection), false, false)))
		text = append(text, contextLine)
	}
	raw, err := json.Marshal(slack.Blocks{BlockSet: blocks})
	if err != nil {
		return nil, fmt.Errorf("render alert blocks: %w", err)
	}
	return &ledger.AlertMessage{Source: source, Kind: "alert", Text: strings.Join(text, "\n\n"), Blocks: string(raw)}, nil
}

// resolvedMessage is the short reply, in the thread of message parent,
// saying that the alerts it announced have cleared.
func resolvedMessage(rl rules, source string, parent int64, resolved []ledger.Alert) *ledger.AlertMessage {
	lines := make([]string, len(resolved))
	for i, a := range resolved {
		lines[i] = fmt.Sprintf("Resolved: %s — %s.", rl.redact(a.Summary), clearedBecause(a.Kind))
		if a.Kind == KindEndpoint && a.Count > 0 {
			lines[i] += fmt.Sprintf(" %d %s missed meanwhile %s backfilled.", a.Count, plural(a.Count, "event"), pick(a.Count, "was", "were"))
		}
	}
	return &ledger.AlertMessage{Source: source, Kind: "resolved", ParentID: parent, Text: strings.Join(lines, "\n")}
}

// clearedBecause says, per kind, what made an alert resolve.
func clearedBecause(kind string) string {
	switch kind {
	case KindMissing:
		return "every one of them is in the ledger now"
	case KindFailed:
		return "the last reconcile run completed"
	case KindRatio:
		return "the processed ratio is back above the threshold"
	case KindDead:
		return "no dead events are left"
	case KindStuck:
		return "no event is stuck any more"
	case KindJob:
		return "the job succeeded"
	case KindEndpoint:
		return "the provider shows the endpoint enabled and sending here again"
	case KindFrontFailing:
		return "no delivery failed in front of hookledger since, and the last response is good"
	case KindProcessed:
		return "the type's processed share is back above the threshold"
	case KindSilent:
		return "its events are arriving again"
	default:
		return "the condition cleared"
	}
}

// runContext is the context line of a message about report r.
func runContext(r *reconcile.Report) string {
	mode := r.Mode
	if r.DryRun {
		mode += ", dry run"
	}
	s := fmt.Sprintf("%s · window %s → %s · mode %s · expected %d, in ledger %d",
		r.Source, stamp(r.Since), stamp(r.Until), escape(mode), r.Expected, r.InLedger)
	if r.RunID != 0 {
		s += fmt.Sprintf(" · run %d", r.RunID)
	}
	if r.Scope != "" {
		s += " · scope: " + escape(r.Scope)
	}
	for _, w := range r.Warnings {
		s += "\n:warning: " + escape(w)
	}
	return s
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
