package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Defaults for RetryPolicy fields left zero.
const (
	DefaultMaxRetries = 5
	DefaultRetryBase  = 500 * time.Millisecond
	DefaultMaxWait    = time.Minute
)

// maxResponseBody bounds a buffered API response (a page of 100 Stripe
// events is about 300 KB).
const maxResponseBody = 32 << 20

// errBodyTooLarge is returned, and not retried, for a response over
// maxResponseBody.
var errBodyTooLarge = errors.New("response body too large")

// RetryPolicy says how a client from NewRetryClient retries provider API
// calls. Whatever the policy, it retries transport errors, 429 and 5xx
// (not 501) as go-retryablehttp's DefaultRetryPolicy does, and never
// retries once the request's context is done.
type RetryPolicy struct {
	MaxRetries int           // retries after the first try; 0 means DefaultMaxRetries
	BaseDelay  time.Duration // first backoff, doubling with jitter; 0 means DefaultRetryBase
	// MaxWait caps one backoff; when the server asks for a longer wait
	// (Retry-After or Throttled), the client gives up at once and returns
	// that response. 0 means DefaultMaxWait.
	MaxWait time.Duration
	// Methods are the request methods retried; nil means every method.
	// A request with another method is sent once.
	Methods []string
	// Throttled, when set, reads a provider's own rate-limit signals from
	// every response: limited makes a response retryable that its status
	// alone would not make so (GitHub's 403), and wait > 0 is how long the
	// provider asked to wait when it sent no Retry-After.
	Throttled func(resp *http.Response) (wait time.Duration, limited bool)
	// Now is the clock for an HTTP-date Retry-After; nil means time.Now.
	Now func() time.Time
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxRetries <= 0 {
		p.MaxRetries = DefaultMaxRetries
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryBase
	}
	if p.MaxWait <= 0 {
		p.MaxWait = DefaultMaxWait
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// NewRetryClient returns a copy of base (nil: a zero http.Client) whose
// requests go through a go-retryablehttp client configured by p, so the
// provider libraries keep a plain *http.Client. base's Transport (nil:
// http.DefaultTransport) makes each attempt; its Timeout bounds the whole
// call, retries included, and its CheckRedirect follows redirects. The
// library's messages go to logger at debug level, with no header and no
// query string; nil logger means none. When retries run out on a status,
// the last response is returned, for the provider's client to read its
// error from; a transport error comes back without the library's prefix.
func NewRetryClient(base *http.Client, p RetryPolicy, logger *slog.Logger) *http.Client {
	p = p.withDefaults()
	hc := http.Client{}
	if base != nil {
		hc = *base
	}
	inner := hc.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{
		Transport: bufferedTransport{base: inner},
		// The returned client follows redirects, once, under base's rules.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rc.Logger = nil // the library's default writes to stderr
	if logger != nil {
		rc.Logger = slogLogger{logger}
	}
	rc.RetryMax, rc.RetryWaitMin, rc.RetryWaitMax = p.MaxRetries, p.BaseDelay, p.MaxWait
	rc.CheckRetry, rc.Backoff, rc.ErrorHandler = p.checkRetry, p.backoff, giveUp
	hc.Transport = rc.StandardClient().Transport
	if p.Methods != nil {
		hc.Transport = methodRouter{retry: hc.Transport, once: inner, methods: p.Methods}
	}
	return &hc
}

// checkRetry is the CheckRetry hook: the library's verdict, plus the
// provider's rate-limit signals, minus waits longer than MaxWait.
func (p RetryPolicy) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, errBodyTooLarge)) {
		return false, nil
	}
	retry, cerr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	if cerr != nil || err != nil {
		return retry, cerr
	}
	if !retry && p.Throttled != nil {
		_, retry = p.Throttled(resp)
	}
	if !retry {
		return false, nil
	}
	if wait, told := p.serverWait(resp); told && wait > p.MaxWait {
		return false, nil // not worth waiting for: the caller gets this response now
	}
	return true, nil
}

// backoff is the Backoff hook: the wait the server asked for (checkRetry
// made sure it is at most MaxWait), else the library's exponential backoff
// from BaseDelay capped at MaxWait, with "equal jitter" (half fixed, half
// random) so that parallel workers do not retry in step.
func (p RetryPolicy) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait, told := p.serverWait(resp); told {
			return wait
		}
	}
	d := retryablehttp.DefaultBackoff(lo, hi, attempt, nil)
	return d/2 + rand.N(d/2+1)
}

// serverWait is how long resp asks the client to wait: Retry-After, else
// the provider's Throttled wait. told is false when it says nothing.
func (p RetryPolicy) serverWait(resp *http.Response) (wait time.Duration, told bool) {
	if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), p.Now()); ok {
		return wait, true
	}
	if p.Throttled != nil {
		if wait, _ := p.Throttled(resp); wait > 0 {
			return wait, true
		}
	}
	return 0, false
}

// parseRetryAfter reads Retry-After as seconds (fractions allowed) or an
// HTTP date; a date in the past means no wait. retryablehttp parses it
// too, but only for 429 and 503 and only whole seconds, and it cannot say
// "too long, give up", which checkRetry needs.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && secs < 1e7 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// giveUp is the ErrorHandler, called when retries are spent or not
// worth it. A last response goes back as is: stripe-go and go-github turn
// it into their typed error, which names the status and the provider's
// message. An error goes back without the library's "GET <url> giving up"
// prefix and the inner client's URL; the returned client names the URL
// once, without credentials, as net/http always does.
func giveUp(resp *http.Response, err error, tries int) (*http.Response, error) {
	if err == nil && resp != nil {
		return resp, nil
	}
	if resp != nil {
		resp.Body.Close()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return nil, fmt.Errorf("api request failed after %d attempts: %w", tries, err)
}

// bufferedTransport reads each response body fully before retryablehttp
// sees the response. retryablehttp judges only what the round trip
// returns, while a body is read later, by the provider's client: without
// this, a connection cut halfway through a 200 page would surface as a
// decode error and never be retried. (retryablehttp's ResponseHandlerFunc
// does this job for its own Request, but StandardClient cannot set one.)
type bufferedTransport struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t bufferedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if len(body) > maxResponseBody {
		return nil, errBodyTooLarge
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// methodRouter sends the methods a policy retries through retryablehttp
// and others straight to the base transport. CheckRetry cannot do it: for
// a transport error it gets no response and so no request method.
type methodRouter struct {
	retry, once http.RoundTripper
	methods     []string
}

// RoundTrip implements http.RoundTripper.
func (m methodRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	if slices.Contains(m.methods, req.Method) {
		return m.retry.RoundTrip(req)
	}
	return m.once.RoundTrip(req)
}

// slogLogger adapts slog to retryablehttp.LeveledLogger. Everything goes
// out at debug level: the library logs each attempt, and the outcome is
// the caller's to log, once. The library logs method and URL, never
// headers; query strings are cut all the same.
type slogLogger struct{ l *slog.Logger }

var _ retryablehttp.LeveledLogger = slogLogger{}

func (s slogLogger) Error(msg string, kv ...any) { s.log(msg, kv) }
func (s slogLogger) Warn(msg string, kv ...any)  { s.log(msg, kv) }
func (s slogLogger) Info(msg string, kv ...any)  { s.log(msg, kv) }
func (s slogLogger) Debug(msg string, kv ...any) { s.log(msg, kv) }

func (s slogLogger) log(msg string, kv []any) {
	for i, v := range kv {
		switch v := v.(type) {
		case string:
			kv[i] = cutQuery(v)
		case error:
			kv[i] = cutQuery(v.Error())
		}
	}
	s.l.Debug("api client: "+msg, kv...)
}

// cutQuery drops a URL's query string from s, up to the next space.
func cutQuery(s string) string {
	before, after, ok := strings.Cut(s, "?")
	if !ok {
		return s
	}
	if _, rest, ok := strings.Cut(after, " "); ok {
		return before + " " + rest
	}
	return before
}
