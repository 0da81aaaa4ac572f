// Command hookledger receives webhooks into a durable ledger, processes each
// event once, reconciles the ledger with what the providers say they sent,
// and alerts Slack about gaps. Run `hookledger help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/redact"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(app.ExitCode(err, os.Stderr))
}

// command is one subcommand: its name, a one-line summary and its entry.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *app.Env, args []string) error
}

// commands lists the subcommands in the order usage shows them.
func commands() []command {
	return []command{
		{"init", "create a ledger and choose its mode: deliver (default) or --ledger-only", runInit},
		{"serve", "receive webhooks, process events and run scheduled jobs", runServe},
		{"process", "drain the processing queue once and exit", runProcess},
		{"reconcile", "compare the providers' lists with the ledger and close gaps", runReconcile},
		{"replay", "queue events (one, the dead, or a filter) for the processor again", runReplay},
		{"events", "list or show events in the ledger", runEvents},
		{"status", "counts per source and state, oldest pending, last reconcile, open alerts", runStatus},
		{"alerts", "list alerts and deliver the outbox", runAlerts},
		{"cron", "run only the scheduled jobs", runCron},
		{"prune", "delete what retention says has expired, as configured", runPrune},
		{"backup", "write a consistent copy of the live ledger", runBackup},
		{"copy", "copy a whole SQLite ledger into PostgreSQL (resumable, verified)", runCopy},
		{"vacuum", "convert an old ledger so prune returns space (offline)", runVacuum},
		{"sources", "configured sources, routes, secret fingerprints, capabilities", runSources},
		{"demo", "the whole pipeline offline, against the built-in fake providers", runDemo},
		{"bench", "measure ingest, processing and reconcile throughput on loopback", runBench},
		{"version", "print the version, commit and Go version", runVersion},
	}
}

// run is the whole program: it parses args, runs one subcommand and returns
// its error. Only main calls os.Exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	env := &app.Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	return runWith(ctx, env, args)
}

// runWith is run with an explicit environment, for tests. What the
// command prints on stdout and the error it returns are redacted of every
// configured secret.
func runWith(ctx context.Context, env *app.Env, args []string) (err error) {
	e := *env
	e.Redact = redact.New(app.EnvSecrets(env.Getenv)...)
	stdout := e.Redact.Writer(env.Stdout)
	e.Stdout = stdout
	defer func() { err = e.Redact.Error(errors.Join(err, stdout.Flush())) }()
	return runCommand(ctx, &e, args)
}

// runCommand runs the command args name: help and the command list go to
// stdout when asked for, to stderr with a usage error otherwise.
func runCommand(ctx context.Context, env *app.Env, args []string) error {
	switch {
	case len(args) == 0:
		usage(env.Stderr)
		return app.UsageError("no command given")
	case args[0] == "--version" || args[0] == "-version":
		return runVersion(ctx, env, args[1:])
	case isHelp(args[0]):
		return runHelp(ctx, env, args[1:])
	}
	if c, ok := findCommand(commands(), args[0]); ok {
		return c.run(ctx, env, args[1:])
	}
	usage(env.Stderr)
	return app.UsageError(fmt.Sprintf("unknown command %q", args[0]))
}

// runHelp is `hookledger help [COMMAND [SUBCOMMAND]]`: the command list,
// or the named command's own help (as `COMMAND -h` prints it), on stdout.
func runHelp(ctx context.Context, env *app.Env, args []string) error {
	if len(args) == 0 || isHelp(args[0]) {
		usage(env.Stdout)
		return nil
	}
	if _, ok := findCommand(commands(), args[0]); !ok {
		usage(env.Stderr)
		return app.UsageError(fmt.Sprintf("help: unknown command %q", args[0]))
	}
	return runCommand(ctx, env, append(slices.Clone(args), "-h"))
}

// findCommand returns the command of cmds called name.
func findCommand(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage prints the command list to w.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hookledger COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `hookledger help COMMAND` (or `hookledger COMMAND --help`) for a command's flags.")
	fmt.Fprintln(w, "Configuration comes from HOOKLEDGER_*, STRIPE_*, GITHUB_*, PADDLE_*, SLACK_*, ZOOM_*")
	fmt.Fprintln(w, "and SHOPIFY_* environment variables (see README); `hookledger --version` prints the")
	fmt.Fprintln(w, "version.")
}

// dispatch runs the subcommand of group named by args[0] ("events list").
// For -h it prints the group's subcommands on stdout; for a missing or
// unknown name, on stderr with a usage error.
func dispatch(ctx context.Context, env *app.Env, group string, args []string, subs []command) error {
	if len(args) > 0 {
		if c, ok := findCommand(subs, args[0]); ok {
			return c.run(ctx, env, args[1:])
		}
	}
	w := env.Stderr
	if len(args) > 0 && isHelp(args[0]) {
		w = env.Stdout
	}
	fmt.Fprintf(w, "usage: hookledger %s SUBCOMMAND [flags]\n\n", group)
	for _, c := range subs {
		fmt.Fprintf(w, "  %-6s %s\n", c.name, c.summary)
	}
	switch {
	case len(args) == 0:
		return app.UsageError(group + ": want a subcommand")
	case isHelp(args[0]):
		return flag.ErrHelp
	default:
		return app.UsageError(fmt.Sprintf("%s: unknown subcommand %q", group, args[0]))
	}
}

// isHelp reports whether arg asks for help rather than naming a command.
func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help"
}
