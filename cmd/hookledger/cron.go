package main

import (
	"context"
	"errors"
)

// runCron is being written; this placeholder keeps the command table compiling.
func runCron(ctx context.Context, env *Env, args []string) error {
	return errors.New("cron: not built yet")
}
