package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/ledger"
)

// newTestServer returns the status page over a fresh ledger.
func newTestServer(t *testing.T, trust func(*http.Request) bool) *Server {
	t.Helper()
	db, err := ledger.Open(context.Background(), filepath.Join(t.TempDir(), "admin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(Config{Store: db, Token: "tok_test", TrustProxy: trust,
		Views: Views{Status: func(context.Context) (any, error) { return map[string]any{"sources": map[string]any{}}, nil }}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signInCookie posts the sign-in form to h and returns the session cookie.
func signInCookie(t *testing.T, h http.Handler, target string, header map[string]string) *http.Cookie {
	t.Helper()
	req := httptest.NewRequest("POST", target, strings.NewReader(url.Values{"token": {"tok_test"}, "next": {"//evil.example/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("sign in: %d to %q, want 303 to / (never elsewhere)", rec.Code, rec.Header().Get("Location"))
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatal("sign in set no session cookie")
	return nil
}

// TestSessionCookieFlags checks the session cookie is HttpOnly and
// SameSite=Strict always, and Secure exactly when the browser came over
// TLS: directly, or through a trusted proxy saying so.
func TestSessionCookieFlags(t *testing.T) {
	trusted := func(r *http.Request) bool { return strings.HasPrefix(r.RemoteAddr, "192.0.2.1:") }
	s := newTestServer(t, trusted)
	cases := []struct {
		name   string
		target string
		header map[string]string
		remote string
		secure bool
	}{
		{"plain http", "http://admin.local/signin", nil, "198.51.100.7:1234", false},
		{"tls", "https://admin.local/signin", nil, "198.51.100.7:1234", true},
		{"trusted proxy says https", "http://admin.local/signin", map[string]string{"X-Forwarded-Proto": "https"}, "192.0.2.1:999", true},
		{"untrusted client says https", "http://admin.local/signin", map[string]string{"X-Forwarded-Proto": "https"}, "198.51.100.7:1234", false},
	}
	for _, tc := range cases {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { r.RemoteAddr = tc.remote; s.ServeHTTP(w, r) })
		c := signInCookie(t, h, tc.target, tc.header)
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tc.secure {
			t.Errorf("%s: cookie HttpOnly=%v SameSite=%v Secure=%v, want true, Strict, %v", tc.name, c.HttpOnly, c.SameSite, c.Secure, tc.secure)
		}
	}
}

// TestSignInWrongToken checks that a wrong token gets no session.
func TestSignInWrongToken(t *testing.T) {
	s := newTestServer(t, nil)
	req := httptest.NewRequest("POST", "/signin", strings.NewReader("token=tok_tesx"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || len(rec.Result().Cookies()) != 0 {
		t.Errorf("wrong token: status %d, cookies %v; want 401 and none", rec.Code, rec.Result().Cookies())
	}
	if _, err := New(Config{}); err != ErrNoToken {
		t.Errorf("New without a token = %v, want ErrNoToken", err)
	}
}
