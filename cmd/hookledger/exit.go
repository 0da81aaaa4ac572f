package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes, shared by every command (docs/design.md):
// 0 success; 1 the run could not finish; 2 usage error; 3 gaps remain.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
	exitGaps  = 3
)

// errUsage marks a usage error: exit code 2.
var errUsage = errors.New("usage")

// errGaps marks a run that finished but left the window incomplete: exit 3.
var errGaps = errors.New("gaps remain")

// usageError returns an errUsage error saying msg.
func usageError(msg string) error { return fmt.Errorf("%w: %s", errUsage, msg) }

// exitCode maps an error from run to the process exit code, printing it.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errGaps):
		return exitGaps
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "hookledger: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "hookledger: %v\n", err)
		return exitError
	}
}
