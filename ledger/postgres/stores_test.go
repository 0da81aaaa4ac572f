package postgres_test

import (
	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// The PostgreSQL ledger implements every interface its consumers declare
// (checked at compile time, by go vet and go test).
var (
	_ sources.Store    = (*postgres.DB)(nil)
	_ ledger.Queue     = (*postgres.DB)(nil)
	_ reconcile.Store  = (*postgres.DB)(nil)
	_ reconcile.JobLog = (*postgres.DB)(nil)
	_ alerts.Store     = (*postgres.DB)(nil)
	_ metrics.Store    = (*postgres.DB)(nil)
	_ ledger.ListedSet = (*postgres.ListedSet)(nil)
)
