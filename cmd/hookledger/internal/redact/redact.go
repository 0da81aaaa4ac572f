// Package redact removes configured secrets from text on its way out of
// the process. hookledger builds one Redactor from every secret it is
// configured with (webhook secrets, rotated ones included, API keys and
// tokens, Slack credentials, the forward secret) and applies it at each
// boundary where text leaves: log records (Handler), rows the ledger
// stores, what commands print (Writer) and the error a command exits with
// (Error). Call sites do not redact on their own.
package redact

import (
	"encoding/json"
	"slices"
	"strings"
)

// Mask replaces each secret.
const Mask = "[redacted]"

// minLen is the shortest value treated as a secret: shorter ones would
// redact ordinary words, and real credentials are far longer.
const minLen = 6

// Redactor replaces configured secrets in text. A nil *Redactor redacts
// nothing. It is safe for concurrent use.
type Redactor struct {
	secrets  []string // as configured, for Secrets
	patterns []string // what String replaces, longest first
	replacer *strings.Replacer
}

// New returns a Redactor for secrets. Blank values and values shorter than
// six characters are ignored, duplicates collapse. Each secret is also
// matched in its JSON-escaped form, so it is caught inside a stored report.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < minLen || slices.Contains(r.secrets, s) {
			continue
		}
		r.secrets = append(r.secrets, s)
		r.patterns = append(r.patterns, s)
		if b, err := json.Marshal(s); err == nil {
			if q := string(b[1 : len(b)-1]); q != s {
				r.patterns = append(r.patterns, q)
			}
		}
	}
	// Longest first: a secret that contains another is replaced whole.
	slices.SortStableFunc(r.patterns, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(r.patterns))
	for _, p := range r.patterns {
		pairs = append(pairs, p, Mask)
	}
	r.replacer = strings.NewReplacer(pairs...)
	return r
}

// Secrets returns the secrets r redacts, as configured; nil for none.
func (r *Redactor) Secrets() []string {
	if r == nil {
		return nil
	}
	return slices.Clone(r.secrets)
}

// String returns s with every secret replaced by Mask.
func (r *Redactor) String(s string) string {
	if r == nil || len(r.patterns) == 0 || len(s) < minLen {
		return s
	}
	return r.replacer.Replace(s)
}

// Error returns err with its text redacted. The result wraps err, so
// errors.Is and errors.As see the same chain; nil stays nil, and an error
// whose text holds no secret is returned as it is.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return &redacted{msg: red, err: err}
	}
	return err
}

// redacted is an error whose text is redacted and whose chain is intact.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
