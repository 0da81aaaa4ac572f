package ledgertest

import (
	"context"
	"errors"
	"testing"

	"github.com/hookledger/hookledger/ledger"
)

// testReopenAppliesNothingTwice: opening a migrated store again applies no
// migration twice and keeps what it holds.
func testReopenAppliesNothingTwice(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	if _, err := db.Record(ctx, NewEvent("evt_kept"), nil); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		db = d.reopen(t, db)
		if _, err := db.Event(ctx, "stripe", "evt_kept"); err != nil {
			t.Errorf("after reopen #%d, Event() error = %v", i+1, err)
		}
	}
}

// testChangedMigrationIsRefused: a store whose applied migration differs
// from this build's (its checksum changed) is refused, not run on.
func testChangedMigrationIsRefused(t *testing.T, d Driver) {
	db := d.open(t)
	d.BreakMigration(t, db)
	if _, err := d.Reopen(t, db); !errors.Is(err, ledger.ErrSchemaMismatch) {
		t.Errorf("open after a changed migration error = %v, want ErrSchemaMismatch", err)
	}
}

var migrateCases = []testCase{
	{"ReopenAppliesNothingTwice", testReopenAppliesNothingTwice},
	{"ChangedMigrationIsRefused", testChangedMigrationIsRefused},
}
