package ledger

import "database/sql"

// scanRows calls scan for each row of rows, then closes rows. It returns
// the first error of scan, of the iteration itself (rows.Err: a statement
// that fails on a later row ends Next early) or of Close, so a caller never
// takes a cut-off result for a whole one.
func scanRows(rows *sql.Rows, scan func(*sql.Rows) error) error {
	for rows.Next() {
		if err := scan(rows); err != nil {
			rows.Close()
			return translate(err)
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return translate(err)
	}
	return translate(rows.Close())
}
