package stripe

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookledger/hookledger/sources"
)

// Retry defaults, used when the Config leaves them zero.
const (
	DefaultMaxRetries    = 6
	DefaultRetryBase     = 500 * time.Millisecond
	DefaultMaxRetryDelay = 30 * time.Second
)

// newHTTPClient returns the client under stripe-go's backend, whose own
// retries are off (they sleep without watching the context and ignore
// Retry-After): cfg.HTTPClient (nil: an 80s timeout) retrying through
// sources.NewRetryClient, GETs only, MaxRetries, RetryBase and
// MaxRetryDelay as its policy, every attempt paced by a limiter at RPS.
func newHTTPClient(cfg Config) *http.Client {
	base := http.Client{Timeout: 80 * time.Second}
	if cfg.HTTPClient != nil {
		base = *cfg.HTTPClient
	}
	inner := base.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	base.Transport = &limitedTransport{
		base:    inner,
		limiter: rate.NewLimiter(rate.Limit(cfg.RPS), max(1, int(cfg.RPS/4))),
	}
	logger := cfg.Logger
	if logger != nil {
		logger = logger.With("component", "stripe")
	}
	return sources.NewRetryClient(&base, sources.RetryPolicy{
		MaxRetries: cfg.MaxRetries,
		BaseDelay:  cfg.RetryBase,
		MaxWait:    cfg.MaxRetryDelay,
		Methods:    []string{http.MethodGet},
		Now:        cfg.Now,
	}, logger)
}

// limitedTransport waits for the rate limiter before every attempt,
// retries included.
type limitedTransport struct {
	base    http.RoundTripper
	limiter *rate.Limiter
}

// RoundTrip implements http.RoundTripper.
func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := t.limiter.Wait(ctx); err != nil {
		if ctx.Err() == nil {
			// The wait would outlast the deadline: as good as expired,
			// and not worth retrying.
			err = fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
		}
		return nil, fmt.Errorf("rate limit: %w", err)
	}
	return t.base.RoundTrip(req)
}
