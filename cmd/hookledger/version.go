package main

import (
	"context"
	"fmt"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/buildinfo"
)

// runVersion is `hookledger version` (and `hookledger --version`): the
// version, commit and Go version of this binary, from its build
// information, on one line of stdout.
func runVersion(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "version", "version", "hookledger version")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(env.Stdout, buildinfo.Read())
	return err
}
