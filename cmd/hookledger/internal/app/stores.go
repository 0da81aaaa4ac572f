package app

import (
	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/admin"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// The SQLite and PostgreSQL ledgers are the concrete stores; every package
// that uses one declares the interface it needs, and only OpenLedger names
// the concrete types. These assertions keep them in step (see
// docs/architecture.md).
var (
	_ Ledger           = (*ledger.DB)(nil)
	_ admin.Store      = (*ledger.DB)(nil)
	_ filePather       = (*ledger.DB)(nil)
	_ backuper         = (*ledger.DB)(nil)
	_ writerStatser    = (*ledger.DB)(nil)
	_ tightener        = (*ledger.DB)(nil)
	_ sources.Store    = (*ledger.DB)(nil)
	_ ledger.Queue     = (*ledger.DB)(nil)
	_ reconcile.Store  = (*ledger.DB)(nil)
	_ reconcile.JobLog = (*ledger.DB)(nil)
	_ alerts.Store     = (*ledger.DB)(nil)
	_ metrics.Store    = (*ledger.DB)(nil)

	_ Ledger      = (*postgres.DB)(nil)
	_ admin.Store = (*postgres.DB)(nil)
	_ tightener   = (*postgres.DB)(nil)
)
