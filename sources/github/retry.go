package github

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/ledger/timing"
	"github.com/hookledger/hookledger/sources"
)

// RetryPolicy bounds how the API client retries throttled and failed
// calls: MaxRetries (default 5), BaseDelay (default 500ms), MaxWait
// (default 1m; a longer wait asked by GitHub gives up). The source sets
// Throttled and Now itself.
type RetryPolicy = sources.RetryPolicy

// retryPolicy is p with GitHub's rate-limit signals read by rateLimited.
func retryPolicy(p RetryPolicy, now func() time.Time) sources.RetryPolicy {
	p.Throttled = rateLimited(now)
	p.Now = now
	return p
}

// rateLimited returns the sources.RetryPolicy.Throttled hook for GitHub. A
// 403 or 429 is a rate limit when it carries Retry-After (the secondary
// limit; the shared policy reads its wait) or x-ratelimit-remaining 0 (the
// primary limit), whose wait runs until x-ratelimit-reset. A plain 403 is a
// permission error, not retried.
func rateLimited(now func() time.Time) func(*http.Response) (time.Duration, bool) {
	return func(resp *http.Response) (time.Duration, bool) {
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
			return 0, false
		}
		h := resp.Header
		if h.Get("X-Ratelimit-Remaining") == "0" {
			reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
			if err != nil {
				return 0, true
			}
			return time.Unix(reset, 0).Sub(now()), true
		}
		return 0, h.Get("Retry-After") != ""
	}
}

// call runs fn, and once more after the reset when go-github refused it
// without sending a request (its client-side *RateLimitError: a previous
// response said no calls remain), which the retrying HTTP client below
// go-github never sees. Like that client, it waits only for a reset within
// the retry policy's MaxWait, plus a second of slack; a later reset returns
// the error at once.
func (s *Source) call(ctx context.Context, fn func() error) error {
	err := fn()
	var rl *gh.RateLimitError
	if !errors.As(err, &rl) {
		return err
	}
	wait := rl.Rate.Reset.Time.Sub(s.now())
	if wait > s.maxWait {
		return err
	}
	if serr := timing.Sleep(ctx, max(wait, 0)+time.Second); serr != nil {
		return serr
	}
	return fn()
}
