package app

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hookledger/hookledger/sources"
)

// defaultMaxConns caps the connections serve holds open at once; past it
// new connections wait in the kernel's accept queue.
const defaultMaxConns = 1024

// receiverConfig is the part of Config that shapes the HTTP receiver.
type receiverConfig struct {
	MaxBody        int64          // HOOKLEDGER_MAX_BODY
	MaxConns       int            // HOOKLEDGER_MAX_CONNS
	TrustedProxies []netip.Prefix // HOOKLEDGER_TRUSTED_PROXIES
}

// loadReceiverConfig reads the receiver's settings from getenv, naming the
// variable (not its value) when one does not parse.
func loadReceiverConfig(getenv func(string) string) (receiverConfig, error) {
	rc := receiverConfig{MaxBody: sources.DefaultMaxBody}
	if v := getenv("HOOKLEDGER_MAX_BODY"); v != "" {
		n, err := parseSize(v)
		if err != nil {
			return rc, UsageError("HOOKLEDGER_MAX_BODY: want a size in bytes such as 1048576, 512KiB or 25MiB")
		}
		rc.MaxBody = n
	}
	var err error
	if rc.MaxConns, err = intEnv(getenv, "HOOKLEDGER_MAX_CONNS", defaultMaxConns); err != nil {
		return rc, err
	}
	if rc.TrustedProxies, err = sources.ParseTrustedProxies(getenv("HOOKLEDGER_TRUSTED_PROXIES")); err != nil {
		return rc, UsageError(fmt.Sprintf("HOOKLEDGER_TRUSTED_PROXIES: %v", err))
	}
	return rc, nil
}

// parseSize reads a positive byte count: digits, optionally followed by
// KiB, MiB or GiB (also K, M, G).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > (1<<40)/mult {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}
