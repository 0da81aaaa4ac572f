package main

import (
	"context"
	"errors"
)

// runBench is being written; this placeholder keeps the command table compiling.
func runBench(ctx context.Context, env *Env, args []string) error {
	return errors.New("bench: not built yet")
}
