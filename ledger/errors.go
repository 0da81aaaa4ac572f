package ledger

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrClosed is returned by writes issued after Close.
var ErrClosed = errors.New("ledger closed")

// ErrReadOnly is returned by writes to a ledger opened with OpenReadOnly.
var ErrReadOnly = errors.New("ledger opened read-only")

// ErrNoLedger is returned by OpenReadOnly when there is no ledger at the
// path (no file, or a file that is not a hookledger ledger).
var ErrNoLedger = errors.New("no ledger")

// ErrSchemaMismatch means a ledger's applied migrations are not this
// build's: one was edited after it was applied, or a newer hookledger
// applied one this build does not have. The ledger is refused.
var ErrSchemaMismatch = errors.New("ledger schema does not match this hookledger")

// ErrSchemaOutdated is returned by OpenReadOnly for a ledger that lacks
// migrations this build has: a writing command must upgrade it first.
var ErrSchemaOutdated = errors.New("ledger schema is older than this hookledger")

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnavailable marks a failure of the store itself (disk full, read-only
// file, I/O error, lock timeout): the caller should answer "try again later"
// (HTTP 503), never success.
var ErrUnavailable = errors.New("ledger unavailable")

// translate maps driver errors to the ledger's sentinels by error code, in
// this one place. Errors it does not know pass through unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_PERM:
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
	}
	return err
}
