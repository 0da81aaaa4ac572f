// Package handler holds the processor's built-in handlers: Forward POSTs
// each event to a URL, signed the Standard Webhooks way; Exec runs a
// command per event. Both implement ledger.Handler.
package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hookledger/hookledger/ledger"
)

// snippetLen bounds how much of a rejecting response body is kept.
const snippetLen = 200

// ForwardConfig configures a Forward handler.
type ForwardConfig struct {
	URL     string           // where each event is POSTed; http or https
	Secret  string           // Standard Webhooks secret (whsec_… or raw); "" to send unsigned
	Timeout time.Duration    // per request; default 30s
	Conns   int              // idle keep-alive connections kept to the host; default 64
	Client  *http.Client     // default: a client built from Timeout and Conns
	Now     func() time.Time // the signing clock; default time.Now
}

// Forward POSTs each event's raw payload to a URL. A 2xx answer is
// success; 4xx other than 408, 409 and 429 is permanent (the event goes
// dead with the status and a short body snippet as the reason); anything
// else, network errors and timeouts included, is retried. A 429 or 503
// with a Retry-After header (seconds or an HTTP date) is retried when the
// downstream asked, not on the processor's backoff.
type Forward struct {
	url    string
	key    []byte // nil when unsigned
	client *http.Client
	now    func() time.Time
}

var _ ledger.Handler = (*Forward)(nil)

// NewForward returns a Forward handler. It fails on a URL that is not
// absolute http(s) and on a malformed secret.
func NewForward(cfg ForwardConfig) (*Forward, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("new forward handler: want an absolute http or https URL")
	}
	f := &Forward{url: cfg.URL, client: cfg.Client, now: cfg.Now}
	if cfg.Secret != "" {
		if f.key, err = ParseSecret(cfg.Secret); err != nil {
			return nil, fmt.Errorf("new forward handler: %w", err)
		}
	}
	if f.client == nil {
		f.client = newClient(cfg.Timeout, cfg.Conns)
	}
	if f.now == nil {
		f.now = time.Now
	}
	return f, nil
}

// newClient returns a keep-alive client that does not follow redirects
// (a redirected POST would lose its body).
func newClient(timeout time.Duration, conns int) *http.Client {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if conns <= 0 {
		conns = 64
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Handle POSTs d's payload once and classifies the answer.
func (f *Forward) Handle(ctx context.Context, d ledger.Delivery) error {
	req, err := f.request(ctx, d)
	if err != nil {
		return ledger.Permanent(err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("forward: %w", scrubURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection reusable
		return nil
	}
	if after, ok := retryAfter(resp, f.now()); ok {
		return ledger.RetryAfter(fmt.Errorf("forward: downstream answered %d (retry after %s)%s",
			resp.StatusCode, after, snippet(resp.Body)), after)
	}
	err = fmt.Errorf("forward: downstream answered %d%s", resp.StatusCode, snippet(resp.Body))
	if permanentStatus(resp.StatusCode) {
		return ledger.Permanent(err)
	}
	return err
}

// retryAfter returns the delay a 429 or 503 answer asks for in its
// Retry-After header; ok is false for other answers and for a missing or
// malformed header.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	return parseRetryAfter(resp.Header.Get("Retry-After"), now)
}

// request builds the POST for d: the payload untouched, hookledger's
// metadata headers, and the Standard Webhooks signature when signing.
func (f *Forward) request(ctx context.Context, d ledger.Delivery) (*http.Request, error) {
	ev := d.Event
	if err := checkHeaderValues(ev); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(ev.Payload))
	if err != nil {
		return nil, fmt.Errorf("forward: %w", scrubURL(err))
	}
	h := req.Header
	h.Set("Content-Type", ev.ContentType)
	h.Set("User-Agent", "hookledger")
	h.Set("Idempotency-Key", ev.EventID)
	h.Set("Hookledger-Event-Id", ev.EventID)
	h.Set("Hookledger-Source", ev.Source)
	h.Set("Hookledger-Event-Type", ev.Type)
	h.Set("Hookledger-Origin", string(d.Origin))
	h.Set("Hookledger-Attempt", strconv.Itoa(d.Attempt))
	if f.key != nil {
		ts := f.now()
		h.Set("Webhook-Id", ev.EventID)
		h.Set("Webhook-Timestamp", strconv.FormatInt(ts.Unix(), 10))
		h.Set("Webhook-Signature", Sign(ev.Payload, f.key, ev.EventID, ts))
	}
	return req, nil
}

// checkHeaderValues fails when a field of ev that goes into a header could
// not be sent: a control character (CR, LF, NUL…) makes the request
// invalid on every attempt, so the caller makes the failure permanent.
func checkHeaderValues(ev *ledger.Event) error {
	for _, f := range []struct{ name, v string }{
		{"event id", ev.EventID}, {"event type", ev.Type}, {"source", ev.Source}, {"content type", ev.ContentType},
	} {
		if i := strings.IndexFunc(f.v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }); i >= 0 {
			return fmt.Errorf("forward: %s %q cannot be sent as an HTTP header value: control character at byte %d",
				f.name, f.v, i)
		}
	}
	return nil
}

// permanentStatus reports whether retrying a request answered with status
// cannot help: a 4xx other than timeout, conflict and rate limit.
func permanentStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// snippet returns ": " and the start of body on one printable line, or ""
// for an empty body.
func snippet(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, snippetLen+1))
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(string(b), ""))
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(b) > snippetLen {
		for len(s) > snippetLen {
			_, size := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-size]
		}
		s += "…"
	}
	return ": " + s
}

// scrubURL drops the URL from a *url.Error: it may carry credentials or
// tokens in its userinfo or query.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}
