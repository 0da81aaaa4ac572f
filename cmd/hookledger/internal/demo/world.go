package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/timing"
	"github.com/hookledger/hookledger/sources/github/githubtest"
	"github.com/hookledger/hookledger/sources/paddle/paddletest"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// The demo's GitHub hook.
const (
	demoGitHubOwner = "acme"
	demoGitHubRepo  = "shop"
	demoGitHubHook  = 4242
	demoGitHubToken = "ghp_demo_token_for_the_fake_api"
)

// demoWorld is everything the demo runs, on 127.0.0.1 only: the fake
// providers, hookledger itself (receiver, processor, reconcile, alerts,
// wired by app.New exactly as serve wires them) and the downstream app.
type demoWorld struct {
	opts          Options
	stripe        *stripetest.Server
	endpoint      *stripetest.Endpoint
	github        *githubtest.Server
	hook          *githubtest.Hook
	paddle        *paddletest.Server
	paddleSetting *paddletest.Setting
	down          *demoDownstream
	app           *app.App
	srv           *http.Server
	receiverURL   string
	adminURL      string // the status page, signed in to with adminToken
	adminToken    string
	stopAdmin     func(context.Context)

	stopProc context.CancelFunc
	procWG   sync.WaitGroup
	procErr  error
}

// startDemoWorld starts the fakes, the downstream app and hookledger on a
// fresh ledger at opts.db. The caller must close the world.
func startDemoWorld(ctx context.Context, env *app.Env, opts Options, logger *slog.Logger) (*demoWorld, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: listen: %w", err)
	}
	w := &demoWorld{opts: opts, receiverURL: "http://" + ln.Addr().String()}
	w.down = newDemoDownstream(opts.flaky)
	w.stripe = stripetest.NewServer(stripetest.WithSeed(opts.Seed))
	enabled := make([]string, 0, len(demoStripeTypes))
	for _, t := range demoStripeTypes {
		enabled = append(enabled, t.typ)
	}
	w.endpoint = w.stripe.AddEndpoint(w.receiverURL+"/webhooks/stripe", "", enabled...)
	w.github = githubtest.NewServer(githubtest.WithSeed(opts.Seed), githubtest.WithToken(demoGitHubToken))
	w.hook = w.github.AddRepoHook(demoGitHubOwner, demoGitHubRepo, demoGitHubHook,
		w.receiverURL+"/webhooks/github", "demo_"+demoRandomHex(16), demoGitHubTypes...)
	w.startPaddle()

	cfg, err := w.config(env)
	if err == nil {
		w.app, err = app.New(ctx, env, cfg, logger, nil)
	}
	if err != nil {
		ln.Close()
		w.close()
		return nil, err
	}
	if w.app.Proc == nil {
		ln.Close()
		w.close()
		return nil, errors.New("demo: no processor: the forward handler did not come up")
	}
	// The demo delivers to its app: it chooses that mode for its ledger.
	if err := w.app.Settle(ctx, "demo", false); err != nil {
		ln.Close()
		w.close()
		return nil, err
	}
	w.srv = app.NewHTTPServer(w.app.Handler(), logger)
	go w.srv.Serve(ln)
	addr, stop, err := w.app.StartAdmin(env)
	if err != nil {
		ln.Close()
		w.close()
		return nil, err
	}
	w.adminURL, w.stopAdmin = "http://"+addr+"/", stop
	w.startProcessor()
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	return w, nil
}

// config is the user's configuration (so SLACK_* set in the environment
// posts real alerts) with the providers, the handler and the ledger
// pointed at the demo's.
func (w *demoWorld) config(env *app.Env) (app.Config, error) {
	cfg, err := app.LoadConfig(env.Getenv)
	if err != nil {
		return cfg, err
	}
	cfg.DB = w.opts.DB
	cfg.ForwardURL, cfg.ForwardSecret, cfg.Exec = w.down.URL(), w.down.secret, ""
	cfg.MaxAttempts, cfg.RetryBase = 10, 50*time.Millisecond
	cfg.StripeWebhookSecrets = []string{w.endpoint.Secret}
	cfg.StripeAPIKey, cfg.StripeAPIBase = w.stripe.APIKey(), w.stripe.URL
	cfg.StripeEndpointID, cfg.StripeEventTypes = w.endpoint.ID, nil
	cfg.StripeAPIRPS = 100
	cfg.GitHubWebhookSecrets = []string{w.hook.Secret}
	cfg.GitHubToken, cfg.GitHubAPIURL, cfg.GitHubHooks = demoGitHubToken, w.github.URL, w.hook.String()
	cfg.PaddleWebhookSecrets = []string{w.paddleSetting.SecretKey}
	cfg.PaddleAPIKey, cfg.PaddleAPIURL, cfg.PaddleSettingID = paddletest.DefaultAPIKey, w.paddle.URL, w.paddleSetting.ID
	// The status page on a free port, with a token made for this run only.
	w.adminToken = demoRandomHex(16)
	cfg.AdminAddr, cfg.AdminToken = "127.0.0.1:0", w.adminToken
	return cfg, nil
}

// startProcessor runs the real processor until close.
func (w *demoWorld) startProcessor() {
	ctx, cancel := context.WithCancel(context.Background())
	w.stopProc = cancel
	w.procWG.Go(func() {
		if err := w.app.Proc.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			w.procErr = fmt.Errorf("run processor: %w", err)
		}
	})
}

// settle waits until no event is pending, processing or failed, or the
// timeout passes.
func (w *demoWorld) settle(ctx context.Context, timeout time.Duration) error {
	return w.await(ctx, timeout, "processed", ledger.StatePending, ledger.StateProcessing, ledger.StateFailed)
}

// awaitTried waits until every event has had an attempt: none is pending
// or processing (failed ones wait for their retry), or the timeout passes.
func (w *demoWorld) awaitTried(ctx context.Context, timeout time.Duration) error {
	return w.await(ctx, timeout, "tried", ledger.StatePending, ledger.StateProcessing)
}

// await waits until no event is in any of states, or the timeout passes.
func (w *demoWorld) await(ctx context.Context, timeout time.Duration, what string, states ...ledger.State) error {
	deadline := time.Now().Add(timeout)
	for {
		qs, err := w.app.DB.QueueStats(ctx)
		if err != nil {
			return fmt.Errorf("demo: queue stats: %w", err)
		}
		waiting := 0
		for _, byState := range qs.Depth {
			for _, st := range states {
				waiting += byState[st]
			}
		}
		if waiting == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: %d events still waiting to be %s after %s", waiting, what, timeout)
		}
		if err := timing.Sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}

// close stops everything in order: the receiver, the processor, the
// ledger, then the fakes and the downstream app.
func (w *demoWorld) close() error {
	var errs []error
	if w.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, w.srv.Shutdown(ctx))
		if w.stopAdmin != nil {
			w.stopAdmin(ctx)
		}
		cancel()
	}
	if w.stopProc != nil {
		w.stopProc()
		w.procWG.Wait()
		errs = append(errs, w.procErr)
	}
	if w.app != nil {
		errs = append(errs, w.app.Close())
	}
	// Each is checked on its own: a nil pointer in an interface is not nil.
	if w.stripe != nil {
		w.stripe.Close()
	}
	if w.github != nil {
		w.github.Close()
	}
	if w.paddle != nil {
		w.paddle.Close()
	}
	if w.down != nil {
		w.down.Close()
	}
	return errors.Join(errs...)
}

// demoRandomHex returns n random bytes in hex.
func demoRandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
