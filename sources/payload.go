package sources

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// MaxDepth is the deepest nesting of objects and arrays a payload may
// have. Real Stripe and GitHub events nest about ten deep. The limit keeps
// every stored payload readable by the tools that read it: Python's json
// stops near 1,000 levels, encoding/json at 10,000 (counting the object
// `hookledger events show --json` wraps the payload in).
const MaxDepth = 512

// Reasons a verified payload cannot be stored and shown faithfully. Each
// wraps ErrMalformed (400); none quotes the payload.
var (
	ErrNotJSON    = fmt.Errorf("payload is not valid JSON: %w", ErrMalformed)
	ErrNotUTF8    = fmt.Errorf("payload is not valid UTF-8: %w", ErrMalformed)
	ErrTooDeep    = fmt.Errorf("payload nests deeper than %d levels: %w", MaxDepth, ErrMalformed)
	ErrNotObject  = fmt.Errorf("payload is not a JSON object: %w", ErrMalformed)
	ErrTimeRange  = fmt.Errorf("event time is outside %d-%d: %w", minYear, maxYear, ErrMalformed)
	ErrAmbiguous  = fmt.Errorf("payload names an envelope member ambiguously: %w", ErrMalformed)
	ErrBadString  = fmt.Errorf("envelope string is not valid UTF-8: %w", ErrMalformed)
	ErrMemberType = fmt.Errorf("envelope member has the wrong JSON type: %w", ErrMalformed)
)

// The event times a ledger keeps: from the Unix epoch (no provider event
// is older) to the last year RFC 3339 can write.
const (
	minYear = 1970
	maxYear = 9999
)

// CheckPayload returns nil when doc is a JSON text the ledger can keep
// byte for byte and every reader can read back: valid JSON, valid UTF-8,
// nested at most MaxDepth deep. Otherwise it returns ErrTooDeep, ErrNotUTF8
// or ErrNotJSON. Every source checks its payloads here before reading them.
func CheckPayload(doc []byte) error {
	// Depth first: gjson's validator recurses, and the depth scan bounds
	// how deep it can go (up to the first syntax error both read the text
	// the same way).
	// Counting brackets is much faster than scanning, and few enough of
	// them cannot nest too deep.
	if bytes.Count(doc, []byte{'{'})+bytes.Count(doc, []byte{'['}) > MaxDepth {
		switch d := depth(doc); {
		case d < 0:
			return ErrNotJSON
		case d > MaxDepth:
			return ErrTooDeep
		}
	}
	if !utf8.Valid(doc) {
		return ErrNotUTF8
	}
	if !gjson.ValidBytes(doc) {
		return ErrNotJSON
	}
	return nil
}

// CheckTime returns ErrTimeRange unless t is within the years the ledger
// keeps and RFC 3339 can print (1970 to 9999, UTC).
func CheckTime(t time.Time) error {
	if y := t.UTC().Year(); y < minYear || y > maxYear {
		return ErrTimeRange
	}
	return nil
}

// CheckUnix is CheckTime for a count of seconds since the epoch, as
// providers send it; it also refuses counts that time.Unix cannot hold in
// milliseconds.
func CheckUnix(sec int64) error {
	if sec < 0 || sec > maxUnix {
		return ErrTimeRange
	}
	return nil
}

// maxUnix is 9999-12-31T23:59:59Z.
var maxUnix = time.Date(maxYear, 12, 31, 23, 59, 59, 0, time.UTC).Unix()

// depth returns the deepest nesting of arrays and objects in doc, skipping
// strings, or -1 when a bracket closes more than was opened. It reads any
// bytes; for invalid JSON it is only an estimate.
func depth(doc []byte) int {
	d, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range doc {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			d++
			deepest = max(deepest, d)
		case c == ']' || c == '}':
			if d--; d < 0 {
				return -1
			}
		}
	}
	return deepest
}
