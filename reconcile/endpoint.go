package reconcile

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookledger/hookledger/sources"
)

// EndpointReport is the provider's view of one endpoint, read on each run:
// whether it is enabled, where it sends and, where the provider keeps it,
// its last response.
type EndpointReport struct {
	ID                  string `json:"id"`
	Enabled             bool   `json:"enabled"`
	Status              string `json:"status"`
	URL                 string `json:"url"`
	ExpectedURL         string `json:"expected_url,omitempty"` // from HOOKLEDGER_PUBLIC_URL, when set
	URLMatches          *bool  `json:"url_matches,omitempty"`  // nil when there is nothing to compare with
	LastResponseCode    int    `json:"last_response_code,omitempty"`
	LastResponseMessage string `json:"last_response_message,omitempty"`
}

// ownStatuses are the statuses hookledger's receiver answers with. A
// provider that recorded any other for a delivery the ledger lacks was
// answered by something in front of hookledger: a proxy or load balancer.
var ownStatuses = map[int]bool{200: true, 400: true, 401: true, 404: true, 413: true, 503: true}

// FrontFailure reports whether a delivery the provider recorded with
// status was answered by something other than hookledger's receiver.
func FrontFailure(status int) bool { return status >= 300 && !ownStatuses[status] }

// countFrontFailure notes, for missing event l, whether the provider
// recorded its delivery as failed with a status hookledger never answers.
func (p *pass) countFrontFailure(l sources.Listed) {
	if !FrontFailure(l.Status) {
		return
	}
	p.rep.FailedDeliveries++
	p.rep.FailedDeliveryCodes[strconv.Itoa(l.Status)]++
	if len(p.rep.FailedDeliveryIDs) < p.r.opts.IDLimit {
		p.rep.FailedDeliveryIDs = append(p.rep.FailedDeliveryIDs, l.EventID)
	}
}

// viewEndpoints reads the provider's view of src's endpoints into rep,
// when src can. A failure to read it is noted in the report; it does not
// fail the run, whose listing stands on its own.
func (r *Reconciler) viewEndpoints(ctx context.Context, src sources.Lister, rep *Report) {
	v, ok := src.(sources.EndpointViewer)
	if !ok {
		return
	}
	eps, err := v.Endpoints(ctx)
	if err != nil {
		rep.EndpointError = fmt.Sprintf("read endpoint: %v", err)
		return
	}
	want := r.expectedURL(src.Name())
	for _, e := range eps {
		er := EndpointReport{ID: e.ID, Enabled: e.Enabled, Status: e.Status, URL: e.URL,
			LastResponseCode: e.LastResponseCode, LastResponseMessage: e.LastResponseMessage}
		if want != "" {
			match := sameURL(e.URL, want)
			er.ExpectedURL, er.URLMatches = want, &match
		}
		rep.Endpoints = append(rep.Endpoints, er)
	}
}

// expectedURL is where the provider should send source's webhooks: the
// public URL's /webhooks/{source}; "" when no public URL is set.
func (r *Reconciler) expectedURL(source string) string {
	if r.opts.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(r.opts.PublicURL, "/") + "/webhooks/" + source
}

// sameURL compares two URLs as a provider would send to them: scheme and
// host case-insensitively, the path exactly but for a trailing slash.
func sameURL(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimRight(ua.Path, "/") == strings.TrimRight(ub.Path, "/")
}
