package postgres_test

import (
	"testing"

	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

// TestPostgresLedger runs the conformance suite against PostgreSQL.
func TestPostgresLedger(t *testing.T) { ledgertest.Exercise(t, pgtest.Driver()) }
