// Package admin is hookledger's status page: a small server-rendered site
// and JSON API on their own listener, for people who want to look rather
// than read logs. It shows each source's intake and last reconcile, a gap
// timeline, the pipeline, the event log and alerts, and replays events.
//
// Every request needs the admin token: scripts send it as a bearer token,
// a browser signs in with it once and gets a session cookie. Every action
// is a POST carrying the session's CSRF token, checked beside
// net/http's CrossOriginProtection, and is recorded in the ledger.
package admin

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/redact"
	"github.com/hookledger/hookledger/ledger"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is the part of the ledger the status page reads and acts on.
type Store interface {
	EventLog(ctx context.Context, f ledger.LogFilter) (ledger.LogPage, error)
	Event(ctx context.Context, source, eventID string) (*ledger.Event, error)
	Receipts(ctx context.Context, source, eventID string) ([]ledger.Receipt, error)
	Attempts(ctx context.Context, eventRow int64) ([]ledger.Attempt, error)
	EventActions(ctx context.Context, source, eventID string, limit int) ([]ledger.Action, error)
	RecordActions(ctx context.Context, acts []*ledger.Action) error
	Requeue(ctx context.Context, source, eventID string) (*ledger.Requeued, error)
	RequeueLog(ctx context.Context, f ledger.LogFilter, r ledger.LogReplay, fn func([]ledger.Requeued) error) (int, error)
	Activity(ctx context.Context, source string, now time.Time) (ledger.Activity, error)
	DeadLetters(ctx context.Context, source string, limit int) ([]*ledger.Event, error)
	RunsSince(ctx context.Context, since time.Time) ([]ledger.RunPoint, error)
	RecentRuns(ctx context.Context, source string, limit int) ([]ledger.Run, error)
	Alerts(ctx context.Context, f ledger.AlertFilter) ([]ledger.Alert, error)
}

// Views are the command line's own renderings, so that the JSON API
// answers exactly what the commands print.
type Views struct {
	// Status returns the document `hookledger status --json` prints.
	Status func(ctx context.Context) (any, error)
	// Event returns one event as `events list --json` shows it.
	Event func(ev *ledger.Event) any
	// EventDetail returns one event as `events show --json` shows it.
	EventDetail func(ctx context.Context, source, eventID string) (any, error)
	// Alert returns one alert as `alerts list --json` shows it.
	Alert func(a ledger.Alert) any
	// Ack acknowledges the open alert id for by, as `hookledger alerts ack
	// ID --by NAME` does (ledger.ErrNotFound, ledger.ErrNotOpen).
	Ack func(ctx context.Context, id int64, by string) (ledger.Alert, error)
}

// Config configures the status page.
type Config struct {
	Store Store
	Views Views
	// Token is the admin token; New refuses an empty one.
	Token string
	// Secrets are never shown: every page and answer has them replaced.
	Secrets []string
	// TrustProxy reports whether r came through a proxy whose
	// X-Forwarded-Proto is to be believed (for the Secure cookie flag);
	// nil believes none.
	TrustProxy func(r *http.Request) bool
	Logger     *slog.Logger
	Now        func() time.Time // default time.Now
}

// ErrNoToken is returned by New without a token: the page is never open.
var ErrNoToken = errors.New("HOOKLEDGER_ADMIN_TOKEN is required to serve the status page")

// Server is the status page's http.Handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	tmpl     map[string]*template.Template
	sessions *sessions
	redact   *redact.Redactor
	mux      *http.ServeMux
	handler  http.Handler
}

// New returns the status page for cfg, or ErrNoToken.
func New(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, ErrNoToken
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "admin"), sessions: newSessions(cfg.Now)}
	var err error
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	s.redact = newRedactor(append([]string{cfg.Token}, cfg.Secrets...))
	if s.redact == nil {
		return nil, errors.New("build the status page's redaction")
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /signin", s.signInPage)
	m.HandleFunc("POST /signin", s.signIn)
	m.Handle("POST /signout", s.authed(s.signOut))
	m.Handle("GET /{$}", s.authed(s.overview))
	m.Handle("GET /events", s.authed(s.eventLog))
	m.Handle("GET /events/{source}/{id}", s.authed(s.event))
	m.Handle("GET /alerts", s.authed(s.alerts))
	m.Handle("POST /events/{source}/{id}/replay", s.authed(s.replayOne))
	m.Handle("POST /replay-dead", s.authed(s.replayDead))
	m.Handle("POST /replay", s.authed(s.replayFilter))
	m.Handle("POST /alerts/{id}/ack", s.authed(s.ack))
	m.Handle("POST /api/alerts/{id}/ack", s.authed(s.ack))
	m.Handle("GET /api/status", s.authed(s.apiStatus))
	m.Handle("GET /api/events", s.authed(s.apiEvents))
	m.Handle("GET /api/events/{source}/{id}", s.authed(s.apiEvent))
	m.Handle("GET /api/alerts", s.authed(s.apiAlerts))
	m.Handle("POST /api/events/{source}/{id}/replay", s.authed(s.replayOne))
	m.Handle("POST /api/replay-dead", s.authed(s.replayDead))
	m.Handle("POST /api/replay", s.authed(s.replayFilter))
	s.mux = m
	cop := http.NewCrossOriginProtection()
	s.handler = cop.Handler(m)
}

// ServeHTTP serves the page, refusing cross-origin state changes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Cache-Control", "no-store")
	s.handler.ServeHTTP(w, r)
}

// page renders the template name with data as a whole page, every secret
// replaced.
func (s *Server) page(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	view := pageData{Data: data, Path: r.URL.Path}
	if sess := sessionFrom(r.Context()); sess != nil {
		view.Actor, view.CSRF = sess.actor, sess.csrf
	}
	if err := s.tmpl[name].ExecuteTemplate(&buf, "layout", view); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(s.redact.String(buf.String())))
}

// pageData is what every page template gets: its own data, who is signed
// in and the CSRF token for its forms.
type pageData struct {
	Data  any
	Path  string
	Actor string
	CSRF  string
}

// fail answers 500 and logs err; the error text is not shown, it may name
// ledger paths.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("status page request failed", "path", r.URL.Path, "error", err)
	http.Error(w, "internal error (see the server log)", http.StatusInternalServerError)
}

// newRedactor returns the redaction of secrets, as they are and as
// html/template writes them into a page (it escapes "+", which webhook
// secrets may hold); nil if a secret cannot be escaped.
func newRedactor(secrets []string) *redact.Redactor {
	all := append([]string{}, secrets...)
	esc := template.Must(template.New("").Parse("{{.}}"))
	for _, sec := range secrets {
		var b strings.Builder
		if esc.Execute(&b, sec) != nil {
			return nil
		}
		all = append(all, b.String())
	}
	return redact.New(all...)
}
