package github

import (
	"reflect"
	"testing"
)

func TestParseHooks(t *testing.T) {
	tests := []struct {
		in      string
		want    []Hook
		wantErr bool
	}{
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "octo/hello:12", want: []Hook{{Owner: "octo", Repo: "hello", ID: 12}}},
		{in: "org:octo-org:7", want: []Hook{{Org: "octo-org", ID: 7}}},
		{in: "octo/hello:12, org:octo-org:7", want: []Hook{{Owner: "octo", Repo: "hello", ID: 12}, {Org: "octo-org", ID: 7}}},
		{in: "octo/hello.go:1", want: []Hook{{Owner: "octo", Repo: "hello.go", ID: 1}}},
		{in: "octo/hello", wantErr: true},
		{in: "octo/hello:", wantErr: true},
		{in: "octo/hello:0", wantErr: true},
		{in: "octo/hello:-3", wantErr: true},
		{in: "octo/hello:abc", wantErr: true},
		{in: "octo:12", wantErr: true},
		{in: "/hello:12", wantErr: true},
		{in: "octo/:12", wantErr: true},
		{in: "octo/hel/lo:12", wantErr: true},
		{in: "org::7", wantErr: true},
		{in: "org:a/b:7", wantErr: true},
		{in: "octo/he llo:12", wantErr: true},
		{in: "octo/..:12", wantErr: true},
		{in: "octo/hello:12,octo/hello:12", wantErr: true},
		{in: "octo/hello:99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseHooks(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseHooks(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseHooks(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestHookStringRoundTrip(t *testing.T) {
	for _, s := range []string{"octo/hello:12", "org:octo-org:7"} {
		h, err := ParseHook(s)
		if err != nil {
			t.Fatalf("ParseHook(%q) error = %v", s, err)
		}
		if got := h.String(); got != s {
			t.Errorf("ParseHook(%q).String() = %q", s, got)
		}
	}
}
