package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/form"
	"github.com/stripe/stripe-go/v76/webhookendpoint"
	"github.com/tidwall/gjson"
)

// PageSize is how many events one list request asks for (Stripe's maximum).
const PageSize = 100

// maxTypesFilter is how many types Stripe accepts in one types[] filter.
const maxTypesFilter = 20

// maxBody bounds an API response read into memory (a page of 100 events is
// about 300 KB); the retrying client under it enforces the same bound.
const maxBody = 32 << 20

// apiClient makes the few Stripe API calls reconcile needs through
// stripe-go's backend, with hookledger's retrying, rate-limited HTTP
// client underneath (newHTTPClient).
type apiClient struct {
	backend stripego.Backend
	impl    *stripego.BackendImplementation
	http    *http.Client
	key     string
}

func newAPIClient(cfg Config) *apiClient {
	hc := newHTTPClient(cfg)
	backend := stripego.GetBackendWithConfig(stripego.APIBackend, &stripego.BackendConfig{
		URL:               stripego.String(cfg.APIBase),
		HTTPClient:        hc,
		MaxNetworkRetries: stripego.Int64(0), // retries happen in hc
		LeveledLogger:     &stripego.LeveledLogger{Level: stripego.LevelNull},
		EnableTelemetry:   stripego.Bool(false),
	})
	impl, _ := backend.(*stripego.BackendImplementation) // what GetBackendWithConfig returns
	return &apiClient{backend: backend, impl: impl, http: hc, key: cfg.APIKey}
}

// rawPage is one page of GET /v1/events with each event left as the API
// sent it.
type rawPage struct {
	Object  string            `json:"object"`
	HasMore bool              `json:"has_more"`
	Data    []json.RawMessage `json:"data"`
}

// UnmarshalJSON reads the list object in one pass with gjson, copying
// each event's bytes exactly as sent (the last of duplicate members wins).
func (p *rawPage) UnmarshalJSON(b []byte) error {
	if !validJSON(b) {
		return fmt.Errorf("decode event list: %w", errSyntax)
	}
	root := gjson.ParseBytes(b)
	if !root.IsObject() {
		return fmt.Errorf("decode event list: not an object")
	}
	ok := true
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.String() {
		case "object":
			ok = setString(&p.Object, v)
		case "has_more":
			ok = setBool(&p.HasMore, v)
		case "data":
			if ok = v.IsArray(); !ok {
				break
			}
			p.Data = p.Data[:0]
			v.ForEach(func(_, e gjson.Result) bool {
				// e.Raw is the element's text, untouched; copy it out of
				// the page so that an event does not pin the whole page.
				p.Data = append(p.Data, json.RawMessage(e.Raw))
				return true
			})
		}
		return ok
	})
	if !ok {
		return fmt.Errorf("decode event list: unexpected member type")
	}
	return nil
}

// rawObject captures a response body untouched.
type rawObject struct {
	stripego.APIResource
}

// pageQuery is one request of a listing: created in [gte, lt) seconds,
// optionally filtered by types, after the cursor when set.
type pageQuery struct {
	gte, lt       int64
	types         []string
	startingAfter string
}

// listPage fetches one page of events, newest first. stripe-go builds the
// request (auth, version and client headers, parameter encoding) and reads
// Stripe's errors, but the body is decoded here in one pass: stripe-go's
// own decoding scans a 260 KB page four times over, and its streaming call
// panics on transport errors in v76.
func (c *apiClient) listPage(ctx context.Context, q pageQuery) (*rawPage, error) {
	params := &stripego.EventListParams{
		CreatedRange: &stripego.RangeQueryParams{GreaterThanOrEqual: q.gte, LesserThan: q.lt},
	}
	if len(q.types) > 0 {
		// stripe-go encodes an empty slice as "types=", a filter matching nothing.
		params.Types = stripego.StringSlice(q.types)
	}
	params.Limit = stripego.Int64(PageSize)
	if q.startingAfter != "" {
		params.StartingAfter = stripego.String(q.startingAfter)
	}
	values := &form.Values{}
	form.AppendTo(values, params)
	body, err := c.get(ctx, "/v1/events?"+values.Encode())
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	page := &rawPage{}
	if err := page.UnmarshalJSON(body); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	if page.Object != "list" {
		return nil, fmt.Errorf("list events: response is not a list object")
	}
	return page, nil
}

// get performs a GET built by stripe-go and returns the body, or the
// *stripe.Error Stripe answered with.
func (c *apiClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := c.impl.NewRequest(http.MethodGet, path, c.key, "application/x-www-form-urlencoded",
		&stripego.Params{Context: ctx})
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		return nil, c.impl.ResponseToError(resp, body)
	}
	return body, nil
}

// getEvent fetches one event's raw JSON.
func (c *apiClient) getEvent(ctx context.Context, id string) ([]byte, error) {
	obj := &rawObject{}
	path := stripego.FormatURLPath("/v1/events/%s", id)
	err := c.backend.Call(http.MethodGet, path, c.key, &stripego.EventParams{Params: stripego.Params{Context: ctx}}, obj)
	if err != nil {
		return nil, err // Fetch names the call and the id
	}
	return obj.LastResponse.RawJSON, nil
}

// enabledEvents returns the event types a webhook endpoint subscribes to.
func (c *apiClient) enabledEvents(ctx context.Context, endpointID string) ([]string, error) {
	we, err := c.endpoint(ctx, endpointID)
	if err != nil {
		return nil, err
	}
	return we.EnabledEvents, nil
}

// endpoint reads a webhook endpoint.
func (c *apiClient) endpoint(ctx context.Context, endpointID string) (*stripego.WebhookEndpoint, error) {
	we, err := webhookendpoint.Client{B: c.backend, Key: c.key}.Get(endpointID,
		&stripego.WebhookEndpointParams{Params: stripego.Params{Context: ctx}})
	if err != nil {
		return nil, fmt.Errorf("get webhook endpoint: %w", err)
	}
	return we, nil
}
