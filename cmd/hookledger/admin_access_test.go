package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// adminRoutes are every page and API call of the status page.
var adminRoutes = []struct{ method, path string }{
	{"GET", "/"},
	{"GET", "/events"},
	{"GET", "/events?state=dead&source=stripe"},
	{"GET", "/events/stripe/evt_page_dead_0001"},
	{"GET", "/alerts"},
	{"GET", "/api/status"},
	{"GET", "/api/events"},
	{"GET", "/api/events/stripe/evt_page_dead_0001"},
	{"GET", "/api/alerts"},
	{"POST", "/events/stripe/evt_page_dead_0001/replay"},
	{"POST", "/replay-dead"},
	{"POST", "/api/events/stripe/evt_page_dead_0001/replay"},
	{"POST", "/api/replay-dead"},
	{"POST", "/replay"},
	{"POST", "/api/replay"},
	{"POST", "/alerts/1/ack"},
	{"POST", "/api/alerts/1/ack"},
	{"POST", "/signout"},
}

// TestStatusPageRefusesWithoutSession checks that every page and API
// call is refused without a session or the token (and with a wrong
// token), and that none of them changed the dead event.
func TestStatusPageRefusesWithoutSession(t *testing.T) {
	pw := startPageWorld(t)
	for _, auth := range []string{"", "Bearer wrong-token", "Bearer " + pageAdminToken + "x", pageAdminToken} {
		for _, rt := range adminRoutes {
			req, _ := http.NewRequest(rt.method, pw.adminURL+rt.path, strings.NewReader("source=stripe"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with Authorization %q: status %d, want 401", rt.method, rt.path, auth, resp.StatusCode)
			}
			if strings.Contains(string(body), "evt_page_ok") || strings.Contains(string(body), pageAdminToken) {
				t.Errorf("%s %s refused, but the answer shows ledger data or the token", rt.method, rt.path)
			}
		}
	}
	if st := pw.status(t); st.Sources["stripe"].Counts["dead"] != 1 || len(st.Alerts) != 1 {
		t.Errorf("after refused calls: %d dead events, %d open alerts; want 1 and 1", st.Sources["stripe"].Counts["dead"], len(st.Alerts))
	}
}

// TestStatusPageBearerToken checks that a script with the token reads
// the API, and that /api/status is `hookledger status --json`.
func TestStatusPageBearerToken(t *testing.T) {
	pw := startPageWorld(t)
	req, _ := http.NewRequest("GET", pw.adminURL+"/api/status", nil)
	req.Header.Set("Authorization", "Bearer "+pageAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/status with the token: status %d, want 200", resp.StatusCode)
	}
	env, stdout, _ := testEnv(map[string]string{})
	if err := runWith(t.Context(), env, []string{"status", "--json", "--db", pw.db}); err != nil {
		t.Fatal(err)
	}
	if got, want := normalizeAges(string(body)), normalizeAges(stdout.String()); got != want {
		t.Errorf("/api/status =\n%s\nwant status --json =\n%s", got, want)
	}
}

// normalizeAges drops the lines that change from one second to the next:
// ages and how long a source has been silent.
func normalizeAges(doc string) string {
	var keep []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.Contains(l, "age_seconds") && !strings.Contains(l, "silent_seconds") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	return strings.Join(keep, "\n")
}

// signedInClient signs in through the form and returns a client holding
// the session cookie.
func signedInClient(t *testing.T, adminURL string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(adminURL+"/signin", url.Values{"token": {pageAdminToken}, "name": {"bob"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/" {
		t.Fatalf("sign in: status %d at %s, want 200 at /", resp.StatusCode, resp.Request.URL.Path)
	}
	return c
}

// TestStatusPageCSRF checks that a signed-in browser's POST without the
// session's CSRF token, with a wrong one, or from another origin, is
// refused and changes nothing.
func TestStatusPageCSRF(t *testing.T) {
	pw := startPageWorld(t)
	c := signedInClient(t, pw.adminURL)
	u, _ := url.Parse(pw.adminURL)
	for _, cookie := range c.Jar.Cookies(u) {
		if cookie.Name == "hookledger_session" && cookie.Value == "" {
			t.Fatal("empty session cookie")
		}
	}
	cases := []struct {
		name    string
		form    url.Values
		headers map[string]string
	}{
		{"no token", url.Values{"source": {"stripe"}}, nil},
		{"wrong token", url.Values{"source": {"stripe"}, "csrf": {"0123"}}, nil},
		{"cross-site", url.Values{"source": {"stripe"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"other origin", url.Values{"source": {"stripe"}}, map[string]string{"Origin": "http://evil.example"}},
	}
	for _, tc := range cases {
		for _, path := range []string{"/replay-dead", "/replay", "/events/stripe/" + pw.deadID + "/replay", "/alerts/1/ack"} {
			req, _ := http.NewRequest("POST", pw.adminURL+path, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: POST %s status %d, want 403", tc.name, path, resp.StatusCode)
			}
		}
	}
	if st := pw.status(t); st.Sources["stripe"].Counts["dead"] != 1 || len(st.Alerts) != 1 {
		t.Errorf("after refused POSTs: %d dead events, %d open alerts; want 1 and 1", st.Sources["stripe"].Counts["dead"], len(st.Alerts))
	}
}

// TestServeAdminWithoutToken checks that serve refuses a status page
// address without a token: exit 2, naming the setting.
func TestServeAdminWithoutToken(t *testing.T) {
	env, _, _ := testEnv(map[string]string{"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "x.db"),
		"STRIPE_WEBHOOK_SECRET": "whsec_x", "HOOKLEDGER_ADMIN_ADDR": "127.0.0.1:0"})
	err := runWith(t.Context(), env, []string{"serve", "--addr", "127.0.0.1:0", "--no-schedule"})
	if app.ExitCode(err, io.Discard) != app.ExitUsage || !strings.Contains(err.Error(), "HOOKLEDGER_ADMIN_TOKEN") {
		t.Errorf("serve with HOOKLEDGER_ADMIN_ADDR and no token: %v, want exit 2 naming HOOKLEDGER_ADMIN_TOKEN", err)
	}
}
