package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes, shared by every command (docs/design.md):
// 0 success; 1 the run could not finish; 2 usage error; 3 gaps remain.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	ExitGaps  = 3
)

// ExitCode maps an error from run to the process exit code, printing it.
func ExitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, ErrGaps):
		return ExitGaps
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(stderr, "hookledger: %v\n", err)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "hookledger: %v\n", err)
		return ExitError
	}
}
