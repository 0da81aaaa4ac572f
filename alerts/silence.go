package alerts

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// Silence states.
const (
	SilenceOK       = "ok"       // traffic as usual
	SilenceSilent   = "silent"   // silent far longer than usual, or than its limit
	SilenceLearning = "learning" // too little history to know what usual is, and no limit set
	SilenceNever    = "never"    // the source never sent a live event: nothing to miss
)

// Learned silence: a source is silent when, by its own rhythm, at least
// silenceExpect events would have come since the last one (the chance of
// that many failing to come by luck is e^-10, about 1 in 22,000), and at
// least silenceFloor has passed. It is learned only from a day and
// silenceMinEvents events of history.
const (
	silenceExpect    = 10.0
	silenceFloor     = 30 * time.Minute
	silenceMinEvents = 20
	silenceMinSpan   = 24 * time.Hour
)

// Silence is the dead-man's switch state of one source: `status --json`
// shows it and the silence alert is raised from it.
type Silence struct {
	Source string `json:"source"`
	State  string `json:"state"` // ok, silent, learning, never
	// LastEventAt is when the source's last live event arrived; nil when never.
	LastEventAt   *time.Time `json:"last_event_at,omitempty"`
	SilentSeconds float64    `json:"silent_seconds"`
	// LimitSeconds is the HOOKLEDGER_SILENCE limit, 0 when the limit is learned.
	LimitSeconds float64 `json:"limit_seconds"`
	// Basis says what "usual" is measured by: "HOOKLEDGER_SILENCE", "hour
	// of week", "hour of day" or "hourly average" ("" while learning).
	Basis string `json:"basis"`
	// UsualPerHour is the source's usual events per hour at this time of
	// the week (or day), as learned from the hours kept.
	UsualPerHour float64 `json:"usual_per_hour"`
	// ExpectedSinceLast is how many events the rhythm expected since the last one.
	ExpectedSinceLast float64 `json:"expected_since_last"`
}

// Silences evaluates the silence of every source in names (and of every
// source with traffic when names is empty) at now, with the explicit
// limits given (source → duration; the rest are learned). The result is
// sorted by source.
func Silences(ctx context.Context, db TrafficReader, names []string, limits map[string]time.Duration, now time.Time) ([]Silence, error) {
	traffic, err := db.Traffic(ctx, now.Add(-ledger.TrafficKeep))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		for src := range traffic {
			names = append(names, src)
		}
	}
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]Silence, 0, len(names))
	for _, n := range names {
		out = append(out, evaluateSilence(n, traffic[n], limits[n], now))
	}
	return out, nil
}

// evaluateSilence judges tr (nil: no traffic ever) at now, against limit
// when it is set, else against the rhythm learned from tr.
func evaluateSilence(source string, tr *ledger.SourceTraffic, limit time.Duration, now time.Time) Silence {
	s := Silence{Source: source, State: SilenceNever, LimitSeconds: limit.Seconds()}
	if tr == nil || tr.LastAt.IsZero() {
		return s
	}
	last := tr.LastAt
	s.LastEventAt = &last
	silent := max(now.Sub(last), 0)
	s.SilentSeconds = silent.Seconds()
	rh := learnRhythm(tr, now)
	if rh.basis != "" {
		s.Basis = rh.basis
		s.UsualPerHour = rh.rate(unixHour(now))
		s.ExpectedSinceLast = rh.expected(last, now)
	}
	switch {
	case limit > 0:
		s.Basis, s.State = "HOOKLEDGER_SILENCE", SilenceOK
		if silent > limit {
			s.State = SilenceSilent
		}
	case rh.basis == "":
		s.State = SilenceLearning
	case s.ExpectedSinceLast >= silenceExpect && silent >= silenceFloor:
		s.State = SilenceSilent
	default:
		s.State = SilenceOK
	}
	return s
}

// silenceCondition is the alert for a silent source.
func silenceCondition(s Silence, now time.Time) condition {
	// The count stays 1 however long the silence lasts: one alert, not one per check.
	c := newCondition(s.Source, KindSilent, false, 1, nil, time.Time{})
	c.summary, c.body = silenceText(s, now)
	return c
}

// silenceConditions folds the traffic recorded since the last check,
// evaluates the silence of the configured sources (every source with
// traffic when none are) at now and returns a condition per silent source.
func (a *Alerter) silenceConditions(ctx context.Context, now time.Time) (map[string][]condition, error) {
	if err := a.db.FoldTraffic(ctx); err != nil {
		return nil, err
	}
	states, err := Silences(ctx, a.db, a.cfg.Sources, a.cfg.Silence, now)
	if err != nil {
		return nil, fmt.Errorf("evaluate silence: %w", err)
	}
	out := map[string][]condition{}
	for _, s := range states {
		if s.State == SilenceSilent {
			out[s.Source] = append(out[s.Source], silenceCondition(s, now))
		}
	}
	return out, nil
}
