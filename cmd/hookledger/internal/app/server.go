package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// ShutdownTimeout bounds how long serve waits for in-flight requests and
// processing to finish after SIGINT/SIGTERM.
const ShutdownTimeout = 30 * time.Second

// Serve runs the receiver, the processor and the scheduled jobs until ctx
// ends, then shuts them down in order: stop accepting, finish in-flight
// commits and attempts, stop the jobs, close the ledger.
func (a *App) Serve(ctx context.Context, env *Env) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	// A stranger's idle connections must not exhaust file descriptors or
	// memory: past the cap, new ones wait in the kernel's accept queue.
	ln = netutil.LimitListener(ln, max(a.Config.Receiver.MaxConns, 1))
	srv := NewHTTPServer(a.Handler(), a.Log)
	a.Log.Info("hookledger serving", "addr", ln.Addr().String(), "db", a.Config.DB,
		"sources", Names(a.Provs.Webhook), "reconcile_sources", Names(a.Provs.Reconcile))

	// Background work outlives ctx by design: it is stopped in order below.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve http: %w", err)
		}
	})
	if a.Proc != nil {
		wg.Go(func() {
			if err := a.Proc.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("run processor: %w", err)
			}
		})
	}
	stopJobs, err := a.StartJobs(runCtx)
	if err != nil {
		srv.Close()
		stopRun()
		wg.Wait()
		return err
	}
	stopAdmin := func(context.Context) {}
	if a.Config.AdminAddr != "" {
		if _, stopAdmin, err = a.StartAdmin(env); err != nil {
			srv.Close()
			stopJobs(context.Background())
			stopRun()
			wg.Wait()
			return err
		}
	}
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
		a.Log.Info("shutting down", "timeout", ShutdownTimeout.String())
	case runErr = <-errc:
		a.Log.Error("shutting down after error", "error", runErr)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	// Stop accepting first: every request already in flight finishes its
	// commit and gets its answer.
	if err := srv.Shutdown(shutCtx); err != nil {
		a.Log.Warn("shut down http server", "error", err)
	}
	stopAdmin(shutCtx)
	stopJobs(shutCtx)
	stopRun()
	wg.Wait()
	if err := a.Close(); err != nil {
		return err
	}
	a.Log.Info("stopped")
	return runErr
}

// NewHTTPServer returns a server whose timeouts keep a slow client from
// pinning a connection.
func NewHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.With("component", "http").Handler(), slog.LevelWarn),
	}
}
