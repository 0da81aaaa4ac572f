package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/admin"
	"github.com/hookledger/hookledger/ledger"
)

// CheckAdmin refuses a status page address without a token: the page is
// never served open.
func CheckAdmin(cfg Config) error {
	if cfg.AdminAddr != "" && cfg.AdminToken == "" {
		return UsageError("HOOKLEDGER_ADMIN_TOKEN is required with HOOKLEDGER_ADMIN_ADDR: the status page is never served without a token")
	}
	return nil
}

// AdminPage returns the status page over a's ledger, whose JSON answers
// are the commands' own (status, events list and show, alerts list).
func (a *App) AdminPage() (*admin.Server, error) {
	liveOnly := LiveOnlyNotes(a.Config) // as runStatus adds them, so /api/status is status --json
	return admin.New(admin.Config{
		Store: a.DB,
		Views: admin.Views{
			Status: func(ctx context.Context) (any, error) {
				st, err := CollectStatus(ctx, a.DB, time.Now(), a.Config.Silence)
				st.AddLiveOnly(liveOnly)
				return st, err
			},
			Event: func(ev *ledger.Event) any { return ToEventJSON(ev) },
			EventDetail: func(ctx context.Context, source, id string) (any, error) {
				j, _, err := EventDetail(ctx, a.DB, source, id)
				return j, err
			},
			Alert: func(al ledger.Alert) any { return ToAlertJSON(al) },
			Ack:   a.Alerter.Ack,
		},
		Token:      a.Config.AdminToken,
		Secrets:    a.Config.Secrets(),
		TrustProxy: func(r *http.Request) bool { return trustedPeer(r.RemoteAddr, a.Config.Receiver.TrustedProxies) },
		Logger:     a.Log,
	})
}

// trustedPeer reports whether remoteAddr (host:port) is in one of the
// HOOKLEDGER_TRUSTED_PROXIES prefixes, whose X-Forwarded-Proto is believed.
func trustedPeer(remoteAddr string, trusted []netip.Prefix) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(ap.Addr().Unmap()) })
}

// StartAdmin serves the status page on a.cfg.AdminAddr until the returned
// stop is called; it returns the address it listens on.
func (a *App) StartAdmin(env *Env) (addr string, stop func(context.Context), err error) {
	page, err := a.AdminPage()
	if err != nil {
		return "", nil, UsageError(err.Error())
	}
	ln, err := net.Listen("tcp", a.Config.AdminAddr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", a.Config.AdminAddr, err)
	}
	srv := NewHTTPServer(page, a.Log)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("serve status page", "error", err)
		}
	}()
	addr = ln.Addr().String()
	a.Log.Info("status page serving", "url", "http://"+addr+"/")
	if env.AdminReady != nil {
		env.AdminReady(addr)
	}
	return addr, func(ctx context.Context) {
		if err := srv.Shutdown(ctx); err != nil {
			a.Log.Warn("shut down status page", "error", err)
		}
		<-done
	}, nil
}
