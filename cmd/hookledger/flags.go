package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// flagSet is a subcommand's ContinueOnError FlagSet with its usage text.
// Help asked for (-h, --help, `hookledger help CMD`) goes to stdout; the
// usage after a usage error goes to stderr.
type flagSet struct {
	*flag.FlagSet
	env               *app.Env
	synopsis, example string
}

// newFlagSet returns the flag set of the subcommand name, whose usage
// shows synopsis, an example and the flags.
func newFlagSet(env *app.Env, name, synopsis, example string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Parse returns its errors; parseFlags prints them with the usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, env: env, synopsis: synopsis, example: example}
}

// printUsage writes the usage text to w, flags spelled --flag as the
// README spells them.
func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: hookledger %s\n\nexample:\n  %s\n", fs.synopsis, fs.example)
	header := false
	fs.VisitAll(func(f *flag.Flag) {
		if !header {
			fmt.Fprint(w, "\nflags:\n")
			header = true
		}
		arg, usage := flag.UnquoteUsage(f)
		if arg != "" {
			arg = " " + arg
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s", f.Name, arg, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if def := defaultText(f); def != "" {
			fmt.Fprintf(w, " (default %s)", def)
		}
		fmt.Fprintln(w)
	})
}

// defaultText is f's default as usage shows it, "" for a zero default.
func defaultText(f *flag.Flag) string {
	switch f.DefValue {
	case "", "false", "0", "0s":
		return ""
	}
	if v := reflect.ValueOf(f.Value); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.String {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// parseFlags parses args into fs. Asked for help, it prints the usage on
// stdout and returns flag.ErrHelp (exit 0); a bad flag prints the usage on
// stderr and returns a usage error (exit 2).
func parseFlags(fs *flagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.printUsage(fs.env.Stdout)
			return err
		}
		fs.printUsage(fs.env.Stderr)
		return app.UsageError(err.Error())
	}
	return nil
}

// parseArgs is parseFlags for a command with positional arguments: flags
// may come before, between or after them ("events show stripe evt_1
// --json"), as people type them. It returns the positional arguments; a
// lone "--" ends flag parsing.
func parseArgs(fs *flagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		for len(args) > 0 && (args[0] == "-" || !strings.HasPrefix(args[0], "-")) {
			pos, args = append(pos, args[0]), args[1:]
		}
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
	}
}

// parseNoArgs is parseFlags for a command that takes flags only: a
// positional argument left over is a usage error.
func parseNoArgs(fs *flagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return app.UsageError(fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0)))
	}
	return nil
}
