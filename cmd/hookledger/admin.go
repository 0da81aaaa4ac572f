package main

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

// checkAdmin refuses a status page address without a token: the page is
// never served open.
func checkAdmin(cfg Config) error {
	if cfg.AdminAddr != "" && cfg.AdminToken == "" {
		return usageError("HOOKLEDGER_ADMIN_TOKEN is required with HOOKLEDGER_ADMIN_ADDR: the status page is never served without a token")
	}
	return nil
}

// adminPage returns the status page over a's ledger, whose JSON answers
// are the commands' own (status, events list and show, alerts list).
func (a *app) adminPage() (*admin.Server, error) {
	liveOnly := liveOnlyNotes(a.cfg) // as runStatus adds them, so /api/status is status --json
	return admin.New(admin.Config{
		Store: a.db,
		Views: admin.Views{
			Status: func(ctx context.Context) (any, error) {
				st, err := collectStatus(ctx, a.db, time.Now(), a.cfg.Silence)
				st.addLiveOnly(liveOnly)
				return st, err
			},
			Event: func(ev *ledger.Event) any { return toEventJSON(ev) },
			EventDetail: func(ctx context.Context, source, id string) (any, error) {
				j, _, err := eventDetail(ctx, a.db, source, id)
				return j, err
			},
			Alert: func(al ledger.Alert) any { return toAlertJSON(al) },
			Ack:   a.alerter.Ack,
		},
		Token:      a.cfg.AdminToken,
		Secrets:    a.cfg.secrets(),
		TrustProxy: func(r *http.Request) bool { return trustedPeer(r.RemoteAddr, a.cfg.Receiver.TrustedProxies) },
		Logger:     a.log,
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

// startAdmin serves the status page on a.cfg.AdminAddr until the returned
// stop is called; it returns the address it listens on.
func (a *app) startAdmin(env *Env) (addr string, stop func(context.Context), err error) {
	page, err := a.adminPage()
	if err != nil {
		return "", nil, usageError(err.Error())
	}
	ln, err := net.Listen("tcp", a.cfg.AdminAddr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", a.cfg.AdminAddr, err)
	}
	srv := newHTTPServer(page, a.log)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("serve status page", "error", err)
		}
	}()
	addr = ln.Addr().String()
	a.log.Info("status page serving", "url", "http://"+addr+"/")
	if env.AdminReady != nil {
		env.AdminReady(addr)
	}
	return addr, func(ctx context.Context) {
		if err := srv.Shutdown(ctx); err != nil {
			a.log.Warn("shut down status page", "error", err)
		}
		<-done
	}, nil
}
