package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// Exit codes, shared by every command (docs/design.md):
// 0 success; 1 the run could not finish; 2 usage error; 3 gaps remain.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
	exitGaps  = 3
)

// exitCode maps an error from run to the process exit code, printing it.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, app.ErrGaps):
		return exitGaps
	case errors.Is(err, app.ErrUsage):
		fmt.Fprintf(stderr, "hookledger: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "hookledger: %v\n", err)
		return exitError
	}
}
