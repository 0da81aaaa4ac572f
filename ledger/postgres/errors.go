package postgres

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookledger/hookledger/ledger"
)

// translate maps driver errors to the ledger's sentinels, by error code
// and type, in this one place: no rows is ledger.ErrNotFound; a server
// that cannot be reached, is shutting down, is out of disk or connections,
// or is read-only (a standby) is ledger.ErrUnavailable. Errors it does not
// know pass through unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ledger.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if unavailableCode(pe.Code) {
			return fmt.Errorf("%w: %w", ledger.ErrUnavailable, err)
		}
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %w", ledger.ErrUnavailable, err)
	}
	return err
}

// unavailableCode reports whether a SQLSTATE says the server, not the
// statement, is the problem: connection exceptions (08), insufficient
// resources such as a full disk (53), operator intervention such as a
// shutdown (57P), system errors (58), a read-only transaction on a
// standby (25006).
func unavailableCode(code string) bool {
	if len(code) != 5 {
		return false
	}
	switch code[:2] {
	case "08", "53", "58":
		return true
	}
	return code[:3] == "57P" || code == "25006"
}
