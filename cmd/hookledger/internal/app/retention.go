package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// Retention defaults (README): payloads a month, events a quarter,
// duplicate and rejected receipts a week, reconcile runs and delivered
// alerts a month.
const (
	defaultRetainPayloads = 30 * 24 * time.Hour
	defaultRetainEvents   = 90 * 24 * time.Hour
	defaultRetainReceipts = 7 * 24 * time.Hour
	defaultRetainRuns     = 30 * 24 * time.Hour
	defaultRetainAlerts   = 30 * 24 * time.Hour
)

// loadRetention reads the HOOKLEDGER_RETENTION_* variables.
func loadRetention(getenv func(string) string) (ledger.Retention, error) {
	var r ledger.Retention
	for _, v := range []struct {
		name string
		def  time.Duration
		dst  *time.Duration
	}{
		{"HOOKLEDGER_RETENTION_PAYLOADS", defaultRetainPayloads, &r.Payloads},
		{"HOOKLEDGER_RETENTION_EVENTS", defaultRetainEvents, &r.Events},
		{"HOOKLEDGER_RETENTION_RECEIPTS", defaultRetainReceipts, &r.Receipts},
		{"HOOKLEDGER_RETENTION_RUNS", defaultRetainRuns, &r.Runs},
		{"HOOKLEDGER_RETENTION_ALERTS", defaultRetainAlerts, &r.Alerts},
	} {
		d, err := retentionEnv(getenv, v.name, v.def)
		if err != nil {
			return r, err
		}
		*v.dst = d
	}
	return r, nil
}

// retentionEnv reads one retention: a positive duration (days allowed),
// or "off" to keep that kind for ever (0); def when unset.
func retentionEnv(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if strings.EqualFold(v, "off") {
		return 0, nil
	}
	return durationEnv(getenv, name, def)
}

// autoCheckpointEnv reads HOOKLEDGER_WAL_AUTOCHECKPOINT: WAL pages before
// a commit checkpoints, 0 for never (Litestream's advice under heavy
// writes, when Litestream runs and checkpoints). Unset is SQLite's 1000.
func autoCheckpointEnv(getenv func(string) string) (int, error) {
	v := strings.TrimSpace(getenv("HOOKLEDGER_WAL_AUTOCHECKPOINT"))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, UsageError("HOOKLEDGER_WAL_AUTOCHECKPOINT: want a number of pages, 0 to leave checkpoints to Litestream")
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}

// minEventRetention is the shortest event retention that keeps every event
// a deep reconcile of srcs can still list: the longest provider window
// plus the incremental overlap. A shorter one would prune events that the
// next deep run then reports missing. 0 with no listing provider.
func minEventRetention(srcs []sources.Source) time.Duration {
	var longest time.Duration
	for _, s := range srcs {
		if l, ok := s.(sources.Lister); ok {
			longest = max(longest, l.Retention())
		}
	}
	if longest == 0 {
		return 0
	}
	return longest + reconcile.DefaultOverlap
}

// CheckRetention refuses an event retention shorter than what the
// configured providers list (exit 2, naming the setting). The default is
// not a setting: when HOOKLEDGER_RETENTION_EVENTS is unset and a provider
// lists further back than it (Paddle's 90 days plus the overlap), the
// default rises to what reconcile lists.
func CheckRetention(cfg *Config, p Providers) error {
	all := append([]sources.Source{}, p.Webhook...)
	for _, l := range p.Reconcile {
		all = append(all, l)
	}
	floor := minEventRetention(all)
	if cfg.Retention.Events == 0 || cfg.Retention.Events >= floor {
		return nil
	}
	if !cfg.RetentionEventsSet {
		cfg.Retention.Events = floor
		return nil
	}
	return UsageError(fmt.Sprintf("HOOKLEDGER_RETENTION_EVENTS is %s, shorter than the %s that reconcile still lists "+
		"(the longest provider window, %s, plus the %s incremental overlap): pruned events would be reported missing; "+
		"set at least %s, or off", FormatDays(cfg.Retention.Events), FormatDays(floor), FormatDays(floor-reconcile.DefaultOverlap),
		FormatDays(reconcile.DefaultOverlap), FormatDays(floor)))
}

// FormatDays prints d as ParseDuration reads it, days first and no zero
// units: "30d", "30d1h", "90m".
func FormatDays(d time.Duration) string {
	const day = 24 * time.Hour
	out := ""
	if d >= day {
		out, d = strconv.Itoa(int(d/day))+"d", d%day
	}
	if d > 0 || out == "" {
		rest := d.String() // "1h0m0s", "1h30m0s", "1m30s"
		if strings.HasSuffix(rest, "m0s") {
			rest = strings.TrimSuffix(rest, "0s")
		}
		if strings.HasSuffix(rest, "h0m") {
			rest = strings.TrimSuffix(rest, "0m")
		}
		out += rest
	}
	return out
}
