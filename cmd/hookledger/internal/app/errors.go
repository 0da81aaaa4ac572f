package app

import (
	"errors"
	"fmt"
)

// ErrUsage marks a usage error: exit code 2.
var ErrUsage = errors.New("usage")

// ErrGaps marks a run that finished but left the window incomplete: exit 3.
var ErrGaps = errors.New("gaps remain")

// UsageError returns an ErrUsage error saying msg.
func UsageError(msg string) error { return fmt.Errorf("%w: %s", ErrUsage, msg) }
