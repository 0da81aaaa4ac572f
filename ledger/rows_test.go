package ledger

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

// TestScanRowsReportsMidReadError: a statement that fails on its third row
// (SQLite's integer overflow, raised while stepping) must fail scanRows,
// which insertEvents and finishProcessed read their RETURNING rows with.
// Checking only Scan and Close took the two rows read for the whole result:
// new events looked like duplicates, settled attempts like stale claims.
func TestScanRowsReportsMidReadError(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	rows, err := db.r.QueryContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5)
		SELECT CASE WHEN x = 3 THEN abs(-9223372036854775808) ELSE x END FROM c`)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	err = scanRows(rows, func(rows *sql.Rows) error {
		var x int64
		err := rows.Scan(&x)
		got = append(got, x)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "overflow") {
		t.Errorf("scanRows() read %v, error %v; want the integer overflow", got, err)
	}
}
