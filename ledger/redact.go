package ledger

// SetRedact makes every error text the ledger stores pass through fn
// first: an attempt's error and an event's last error, a reconcile run's
// error and report, a scheduled job's error, an alert delivery's error. A
// provider that echoes a credential in an error body then cannot put it in
// a row. The ledger knows no secret itself; cmd/hookledger passes the one
// redaction it applies to logs and output. nil (the default) stores the
// text as given. Call it before the ledger is shared.
func (db *DB) SetRedact(fn func(string) string) { db.redactFn.Store(&fn) }

// redact returns s as SetRedact's function rewrites it.
func (db *DB) redact(s string) string {
	if p := db.redactFn.Load(); p != nil && *p != nil && s != "" {
		return (*p)(s)
	}
	return s
}

// errorText is an error as the ledger stores it: redacted, then cut to
// maxErrorLen.
func (db *DB) errorText(s string) string { return truncateError(db.redact(s)) }
