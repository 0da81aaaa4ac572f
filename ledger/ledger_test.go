package ledger_test

import (
	"testing"

	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// TestSQLiteLedger runs the backend conformance suite against SQLite.
func TestSQLiteLedger(t *testing.T) { ledgertest.Exercise(t, ledgertest.SQLite()) }
