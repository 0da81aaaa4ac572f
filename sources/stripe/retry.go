package stripe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// Retry defaults, used when the Config leaves them zero.
const (
	DefaultMaxRetries    = 6
	DefaultRetryBase     = 500 * time.Millisecond
	DefaultMaxRetryDelay = 30 * time.Second
	// maxBody bounds a buffered API response (a page of 100 events is
	// about 300 KB).
	maxBody = 32 << 20
)

// retryTransport is the http.RoundTripper under stripe-go's backend (whose
// own retries are off: they sleep without watching the context and ignore
// Retry-After). For every attempt it waits for the rate limiter, then
// retries transport errors, 429 and 5xx with exponential backoff and
// jitter, waiting at least Retry-After when the API sends one. It reads the
// whole body before returning so that a connection cut mid-page is retried
// like any other transport error. Only idempotent GETs are retried.
type retryTransport struct {
	base       http.RoundTripper
	limiter    *rate.Limiter
	maxRetries int
	baseDelay  time.Duration
	maxDelay   time.Duration
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if err := t.limiter.Wait(ctx); err != nil {
			return nil, fmt.Errorf("rate limit: %w", err)
		}
		resp, err := t.once(req)
		if req.Method != http.MethodGet || attempt >= t.maxRetries || !retryable(resp, err) {
			return resp, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		delay, ok := t.delay(attempt, resp)
		if !ok {
			return resp, err // Retry-After beyond what we are willing to wait
		}
		if resp != nil {
			resp.Body.Close()
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// once performs one attempt and buffers the body.
func (t *retryTransport) once(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req.Clone(req.Context()))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

func retryable(resp *http.Response, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
}

// delay is the wait before retry attempt+1: exponential from baseDelay with
// jitter, capped at maxDelay, and never shorter than Retry-After. It reports
// false when Retry-After asks for longer than maxDelay.
func (t *retryTransport) delay(attempt int, resp *http.Response) (time.Duration, bool) {
	d := t.baseDelay << min(attempt, 20)
	d = d/2 + rand.N(d/2+1)
	d = min(d, t.maxDelay)
	if resp == nil {
		return d, true
	}
	ra, ok := retryAfter(resp.Header.Get("Retry-After"))
	if !ok {
		return d, true
	}
	if ra > t.maxDelay {
		return 0, false
	}
	return max(d, ra), true
}

// retryAfter parses a Retry-After value in seconds or as an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && secs < 1e7 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

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
