package main

import (
	"context"
	"errors"
)

// runReconcile is being written; this placeholder keeps the command table compiling.
func runReconcile(ctx context.Context, env *Env, args []string) error {
	return errors.New("reconcile: not built yet")
}
