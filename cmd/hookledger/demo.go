package main

import (
	"context"
	"errors"
)

// runDemo is being written; this placeholder keeps the command table compiling.
func runDemo(ctx context.Context, env *Env, args []string) error {
	return errors.New("demo: not built yet")
}
