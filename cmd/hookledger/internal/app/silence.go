package app

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// sourceName is what a source may be called in HOOKLEDGER_SILENCE: the
// names the receiver routes, /webhooks/{name}.
var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ParseSilence parses HOOKLEDGER_SILENCE, "stripe=2h,github=6h": an
// explicit silence limit per source, any source name. Empty is none.
func ParseSilence(v string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, pair := range SplitList(v) {
		name, dur, ok := strings.Cut(pair, "=")
		name, dur = strings.TrimSpace(name), strings.TrimSpace(dur)
		if !ok || !sourceName.MatchString(name) {
			return nil, UsageError(fmt.Sprintf("HOOKLEDGER_SILENCE: want source=duration pairs such as stripe=2h,github=6h, got %q", pair))
		}
		d, err := ParseDuration(dur)
		if err != nil || d <= 0 {
			return nil, UsageError(fmt.Sprintf("HOOKLEDGER_SILENCE: %s: want a positive duration such as 30m, 6h or 1d", name))
		}
		if _, dup := out[name]; dup {
			return nil, UsageError(fmt.Sprintf("HOOKLEDGER_SILENCE: %s given twice", name))
		}
		out[name] = d
	}
	return out, nil
}
