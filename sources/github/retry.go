package github

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds how the API client retries throttled and failed calls.
type RetryPolicy struct {
	MaxRetries int           // retries after the first try; default 5
	BaseDelay  time.Duration // first backoff, doubling with jitter; default 500ms
	MaxWait    time.Duration // longest single wait; a longer Retry-After gives up; default 1m
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxRetries <= 0 {
		p.MaxRetries = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxWait <= 0 {
		p.MaxWait = time.Minute
	}
	return p
}

// retryTransport retries GitHub API requests answered 429, 5xx, or 403 as a
// rate limit (Retry-After, or x-ratelimit-remaining 0), and requests whose
// connection failed, honouring Retry-After and x-ratelimit-reset. It reads
// each successful body fully so a connection cut mid-page is retried too.
// The request (with its token) never appears in what it logs.
type retryTransport struct {
	base   http.RoundTripper
	policy RetryPolicy
	logger *slog.Logger
	now    func() time.Time
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		try, err := rewind(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.base.RoundTrip(try)
		if err == nil && resp.StatusCode < 300 {
			if err = bufferBody(resp); err != nil {
				resp = nil
			}
		}
		wait, retry := t.shouldRetry(resp, err, attempt)
		if !retry || ctx.Err() != nil || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
		t.logger.LogAttrs(ctx, slog.LevelInfo, "github api retry",
			slog.String("method", req.Method), slog.String("path", req.URL.Path),
			slog.Int("status", statusOf(resp)), slog.Int("attempt", attempt+1),
			slog.Duration("wait", wait))
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// shouldRetry says whether to try again and after how long.
func (t *retryTransport) shouldRetry(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if attempt >= t.policy.MaxRetries {
		return 0, false
	}
	backoff := t.backoff(attempt)
	if err != nil {
		return backoff, !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	code := resp.StatusCode
	limited := code == http.StatusForbidden &&
		(resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-Ratelimit-Remaining") == "0")
	if code != http.StatusTooManyRequests && code < 500 && !limited {
		return 0, false
	}
	wait, told := t.toldWait(resp.Header)
	if !told {
		return backoff, true
	}
	if wait > t.policy.MaxWait {
		return 0, false
	}
	return wait, true
}

// toldWait reads how long the server asked us to wait: Retry-After
// (seconds or an HTTP date), else x-ratelimit-reset when none remain.
func (t *retryTransport) toldWait(h http.Header) (time.Duration, bool) {
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(t.now()), 0), true
		}
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(t.now()), 0), true
		}
	}
	return 0, false
}

// backoff is BaseDelay doubled per attempt, with up to 50% jitter, capped.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.policy.BaseDelay << min(attempt, 20)
	d = min(d, t.policy.MaxWait)
	return d/2 + rand.N(d/2+1)
}

// rewind returns the request to send on this attempt, with a fresh body.
func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 0 || req.Body == nil || req.GetBody == nil {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	try := req.Clone(req.Context())
	try.Body = body
	return try, nil
}

// bufferBody reads the whole body into memory (API pages are small), so a
// connection cut mid-body surfaces here, where it can be retried.
func bufferBody(resp *http.Response) error {
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
