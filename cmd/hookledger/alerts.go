package main

import (
	"context"
	"errors"
)

// runAlerts is being written; this placeholder keeps the command table compiling.
func runAlerts(ctx context.Context, env *Env, args []string) error {
	return errors.New("alerts: not built yet")
}
