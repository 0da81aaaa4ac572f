package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// sessionCookie names the browser's session cookie.
const sessionCookie = "hookledger_session"

// sessionTTL is how long a browser stays signed in.
const sessionTTL = 12 * time.Hour

// session is one signed-in browser, or one bearer-token request.
type session struct {
	actor   string // "admin" or the name given at sign-in
	csrf    string // "" for a bearer request: it carries no ambient credential
	expires time.Time
}

// sessions are the signed-in browsers, in memory: a restart signs every
// browser out, which is what a token rotation wants too.
type sessions struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: map[string]*session{}}
}

// add starts a session for actor and returns its id.
func (ss *sessions) add(actor string) (string, *session) {
	id, csrf := randomHex(32), randomHex(32)
	sess := &session{actor: actor, csrf: csrf, expires: ss.now().Add(sessionTTL)}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, v := range ss.m { // drop expired ones as new ones come
		if ss.now().After(v.expires) {
			delete(ss.m, k)
		}
	}
	ss.m[id] = sess
	return id, sess
}

// get returns the live session id names, or nil.
func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sess := ss.m[id]
	if sess == nil || ss.now().After(sess.expires) {
		delete(ss.m, id)
		return nil
	}
	return sess
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, id)
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

type sessionKey struct{}

// sessionFrom returns the session of a request authed let through.
func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// authed lets a request through to h only with the admin token as a
// bearer token, or with a live session cookie; a POST with a cookie must
// also carry the session's CSRF token. Anything else is refused: 401 (the
// sign-in form for a page), 403 for a missing or wrong CSRF token.
func (s *Server) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := s.bearer(r)
		if sess == nil {
			if c, err := r.Cookie(sessionCookie); err == nil {
				sess = s.sessions.get(c.Value)
			}
			if sess != nil && r.Method != http.MethodGet && r.Method != http.MethodHead && !validCSRF(r, sess) {
				s.refuse(w, r, http.StatusForbidden, "missing or wrong CSRF token: reload the page and try again")
				return
			}
		}
		if sess == nil {
			s.refuse(w, r, http.StatusUnauthorized, "sign in with the admin token")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	})
}

// bearer returns a session for a request carrying the admin token as
// "Authorization: Bearer TOKEN", else nil.
func (s *Server) bearer(r *http.Request) *session {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.tokenOK(tok) {
		return nil
	}
	return &session{actor: "admin"}
}

// tokenOK compares tok with the admin token in constant time.
func (s *Server) tokenOK(tok string) bool {
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

// validCSRF reports whether r carries sess's CSRF token, as the csrf form
// field or the X-CSRF-Token header.
func validCSRF(r *http.Request, sess *session) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// refuse answers status with msg: JSON under /api/, else the sign-in page.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hookledger"`)
		}
		s.writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	s.page(w, r, status, "signin", signInView{Message: msg, Next: safeNext(r.URL.RequestURI())})
}

// signInView is the sign-in form's data.
type signInView struct {
	Message string
	Next    string
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "signin", signInView{Next: safeNext(r.URL.Query().Get("next"))})
}

// signIn checks the token from the form and starts a session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	if !s.tokenOK(r.PostFormValue("token")) {
		s.log.Warn("status page sign-in refused", "remote_addr", r.RemoteAddr)
		s.page(w, r, http.StatusUnauthorized, "signin", signInView{Message: "wrong token", Next: next})
		return
	}
	actor := strings.TrimSpace(r.PostFormValue("name"))
	if actor == "" || len(actor) > 64 {
		actor = "admin"
	}
	id, _ := s.sessions.add(actor)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: int(sessionTTL / time.Second)})
	s.log.Info("status page sign-in", "actor", actor, "remote_addr", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: -1})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// secure reports whether the browser reached us over TLS: directly, or
// through a trusted proxy that says so.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.cfg.TrustProxy != nil && s.cfg.TrustProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// safeNext returns next when it is a path on this site, else "/": the
// sign-in form never redirects elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/signin") || strings.HasPrefix(next, "/api/") {
		return "/"
	}
	return next
}

// writeJSON answers status with v as indented JSON, every secret
// replaced.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		s.log.Error("encode json", "error", err)
		status, b = http.StatusInternalServerError, []byte(`{"error": "internal error (see the server log)"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(s.redact.String(string(b)) + "\n"))
}
