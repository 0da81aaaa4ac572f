package github

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/sources"
)

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"action":"opened","number":1}`)
	good := Sign(body, "new")
	tests := []struct {
		name    string
		headers []string // X-Hub-Signature-256 values
		secrets []string
		body    []byte
		want    error
	}{
		{"valid", []string{good}, []string{"new"}, body, nil},
		{"rotation: old secret listed first", []string{good}, []string{"old", "new"}, body, nil},
		{"rotation: signed with the old secret", []string{Sign(body, "old")}, []string{"new", "old"}, body, nil},
		{"upper-case hex", []string{"sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256="))}, []string{"new"}, body, nil},
		{"wrong secret", []string{Sign(body, "other")}, []string{"new"}, body, ErrBadSignature},
		{"tampered body", []string{good}, []string{"new"}, []byte(`{"action":"closed","number":1}`), ErrBadSignature},
		{"missing header", nil, []string{"new"}, body, ErrNoSignature},
		{"no secret configured", []string{good}, nil, body, ErrNoSecret},
		{"only empty secrets", []string{good}, []string{""}, body, ErrNoSecret},
		{"sha1 prefix", []string{"sha1=" + strings.TrimPrefix(good, "sha256=")}, []string{"new"}, body, ErrBadHeader},
		{"no prefix", []string{strings.TrimPrefix(good, "sha256=")}, []string{"new"}, body, ErrBadHeader},
		{"short hex", []string{good[:len(good)-2]}, []string{"new"}, body, ErrBadHeader},
		{"not hex", []string{"sha256=" + strings.Repeat("zz", 32)}, []string{"new"}, body, ErrBadHeader},
		{"two headers", []string{good, good}, []string{"new"}, body, ErrBadHeader},
		{"empty value", []string{""}, []string{"new"}, body, ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.headers {
				h.Add(SignatureHeader, v)
			}
			err := VerifySignature(tt.body, h, VerifyOptions{Secrets: tt.secrets})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("VerifySignature() = %v, want %v", err, tt.want)
			}
			if err != nil && !errors.Is(err, sources.ErrSignature) {
				t.Errorf("VerifySignature() = %v, does not wrap sources.ErrSignature", err)
			}
			for _, s := range tt.secrets {
				if err != nil && s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}
