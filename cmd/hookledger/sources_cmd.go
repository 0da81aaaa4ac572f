package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// sourceJSON is one source in `hookledger sources --json`.
type sourceJSON struct {
	Name               string   `json:"name"`
	Route              string   `json:"route"`
	SecretFingerprints []string `json:"secret_fingerprints"`
	Capabilities       []string `json:"capabilities"`
	Webhook            bool     `json:"webhook"`
	Reconcile          bool     `json:"reconcile"`
	LiveOnly           string   `json:"live_only,omitempty"`
	ReconcileNeeds     string   `json:"reconcile_needs,omitempty"`
}

// runSources is `hookledger sources`: every configured source with its
// route, the fingerprint of each webhook secret (never the secret), what it
// can do and whether reconcile is set up. It reads only the configuration.
func runSources(_ context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "sources", "sources [--json]", "hookledger sources --json")
	asJSON := fs.Bool("json", false, `print {"sources": [SOURCE, …]} on stdout`)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	provs, err := app.BuildProviders(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	out := make([]sourceJSON, 0, len(provs.Info))
	for _, in := range provs.Info {
		out = append(out, sourceJSON{Name: in.Name, Route: in.Route, SecretFingerprints: orEmpty(in.Fingerprints),
			Capabilities: in.Caps.Names(), Webhook: in.Webhook, Reconcile: in.Reconcile,
			LiveOnly: in.Caps.LiveOnly, ReconcileNeeds: in.Needs})
	}
	if *asJSON {
		return app.WriteJSON(env.Stdout, struct {
			Sources []sourceJSON `json:"sources"`
		}{out})
	}
	printSources(env.Stdout, out)
	return nil
}

// printSources writes the human form of `sources`.
func printSources(w io.Writer, srcs []sourceJSON) {
	if len(srcs) == 0 {
		fmt.Fprintln(w, "no source configured: set a webhook secret (STRIPE_WEBHOOK_SECRET, GITHUB_WEBHOOK_SECRET, …; see README)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tROUTE\tSECRETS (sha256 prefix)\tCAPABILITIES\tRECONCILE")
	for _, s := range srcs {
		secrets := strings.Join(s.SecretFingerprints, ",")
		if secrets == "" {
			secrets = "none: webhooks rejected"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Route, secrets, strings.Join(s.Capabilities, ", "), reconcileState(s))
	}
	tw.Flush()
	for _, s := range srcs {
		if s.LiveOnly != "" {
			fmt.Fprintf(w, "\n%s: %s.", s.Name, s.LiveOnly)
		}
	}
	fmt.Fprintln(w)
}

// reconcileState is the RECONCILE column: on, what it needs, or live-only.
func reconcileState(s sourceJSON) string {
	switch {
	case s.Reconcile:
		return "on"
	case s.LiveOnly != "":
		return "live-only"
	case s.ReconcileNeeds != "":
		return "off: set " + s.ReconcileNeeds
	}
	return "off"
}

// orEmpty returns ss, or an empty slice for nil, so JSON says [].
func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
