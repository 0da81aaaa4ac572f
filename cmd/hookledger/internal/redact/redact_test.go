package redact

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	r := New("sk_test_abcdef", "sk_test_abcdef_longer", "short", "", "ghp_tok\"en1")
	tests := []struct{ in, want string }{
		{"no secret here", "no secret here"},
		{"key sk_test_abcdef!", "key [redacted]!"},
		{"key sk_test_abcdef_longer.", "key [redacted]."},
		{"a short word", "a short word"},
		{`{"error":"token ghp_tok\"en1"}`, `{"error":"token [redacted]"}`},
		{"token ghp_tok\"en1", "token [redacted]"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var none *Redactor
	if got := none.String("sk_test_abcdef"); got != "sk_test_abcdef" {
		t.Errorf("nil Redactor String() = %q, want the input", got)
	}
}

func TestErrorKeepsChain(t *testing.T) {
	r := New("sk_test_abcdef")
	err := r.Error(fmt.Errorf("list events: %w: key sk_test_abcdef", fs.ErrPermission))
	if err.Error() != "list events: permission denied: key [redacted]" {
		t.Errorf("Error() = %q, want the key redacted", err)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("errors.Is(redacted, ErrPermission) = false, want true")
	}
	plain := errors.New("nothing secret")
	if got := r.Error(plain); got != plain || r.Error(nil) != nil {
		t.Errorf("Error(plain) = %v, want plain unchanged and nil for nil", got)
	}
}

func TestHandlerRedactsEveryPart(t *testing.T) {
	const secret = "ghp_0123456789abcdef"
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if json {
			h = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(New(secret).Handler(h)).With("token", secret).WithGroup("g")
		log.Info("listing with "+secret, "error", errors.New("401: bad "+secret),
			slog.Group("req", "auth", "Bearer "+secret), "list", []string{"a", secret}, "sources", []string{"stripe"})
		out := buf.String()
		if strings.Contains(out, secret) {
			t.Errorf("json=%v: log holds the secret:\n%s", json, out)
		}
		if n := strings.Count(out, Mask); n != 5 {
			t.Errorf("json=%v: %d redactions, want 5:\n%s", json, n, out)
		}
		if json && !strings.Contains(out, `"sources":["stripe"]`) {
			t.Errorf("a list without a secret lost its form:\n%s", out)
		}
	}
}

func TestWriterCatchesSecretAcrossWrites(t *testing.T) {
	var buf bytes.Buffer
	w := New("whsec_0123456789").Writer(&buf)
	for _, p := range []string{"line one whsec_01", "23456789 end\nsecond ", "whsec_0123456789"} {
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "line one [redacted] end\nsecond [redacted]"; buf.String() != want {
		t.Errorf("written %q, want %q", buf.String(), want)
	}
}
