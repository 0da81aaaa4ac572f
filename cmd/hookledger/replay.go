package main

import (
	"context"
	"errors"
)

// runReplay is being written; this placeholder keeps the command table compiling.
func runReplay(ctx context.Context, env *Env, args []string) error {
	return errors.New("replay: not built yet")
}
