package github

import (
	"context"
	"net/url"
	"strconv"

	gh "github.com/google/go-github/v60/github"
)

// path returns the hook's REST path below the API root:
// "repos/OWNER/REPO/hooks/ID" or "orgs/ORG/hooks/ID". It is the one place
// that tells repository hooks from organization hooks; every hook call
// goes through hookCall with it. ParseHook has checked the names, which
// hold nothing that would change a URL path.
func (h Hook) path() string {
	id := strconv.FormatInt(h.ID, 10)
	if h.Org != "" {
		return "orgs/" + h.Org + "/hooks/" + id
	}
	return "repos/" + h.Owner + "/" + h.Repo + "/hooks/" + id
}

// hookCall sends method to the hook's path followed by rest (a suffix
// such as "/deliveries?per_page=100"), through the rate-limit aware call,
// and decodes the answer into v. go-github reads errors, the cursor of
// Link headers and 202 Accepted (as *gh.AcceptedError) as for its own
// methods.
func (s *Source) hookCall(ctx context.Context, method string, h Hook, rest string, v any) (*gh.Response, error) {
	var resp *gh.Response
	err := s.call(ctx, func() error {
		req, err := s.client.NewRequest(method, h.path()+rest, nil)
		if err != nil {
			return err
		}
		resp, err = s.client.Do(ctx, req, v)
		return err
	})
	return resp, err
}

// deliveriesQuery is the query of one page of a hook's deliveries list.
func deliveriesQuery(cursor string) string {
	q := url.Values{"per_page": {strconv.Itoa(pageSize)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return "/deliveries?" + q.Encode()
}

// deliveryPath is the path of one delivery below the hook's.
func deliveryPath(id int64) string {
	return "/deliveries/" + strconv.FormatInt(id, 10)
}
