package app

import (
	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/admin"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// The SQLite ledger is the one concrete store; every package that uses it
// declares the interface it needs, and only OpenLedger names Ledger.
// These assertions keep the two in step (see docs/architecture.md).
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
)
