package demo

import (
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// demoTimeout bounds a whole demo run in a test (it takes seconds).
const demoTimeout = 2 * time.Minute

// testEnv returns an Env whose variables are vars alone (nothing from the
// process environment) and whose output goes to buffers.
func testEnv(vars map[string]string) (*app.Env, *ledgertest.SyncBuffer, *ledgertest.SyncBuffer) {
	stdout, stderr := &ledgertest.SyncBuffer{}, &ledgertest.SyncBuffer{}
	return &app.Env{Stdout: stdout, Stderr: stderr, Getenv: func(k string) string { return vars[k] }}, stdout, stderr
}
