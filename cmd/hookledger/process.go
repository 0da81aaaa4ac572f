package main

import (
	"context"
	"errors"
)

// runProcess is being written; this placeholder keeps the command table compiling.
func runProcess(ctx context.Context, env *Env, args []string) error {
	return errors.New("process: not built yet")
}
