package main

import (
	"io"
	"slices"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

func TestParseArgsInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantJSON bool
		wantDB   string
		wantErr  bool
	}{
		{[]string{"stripe", "evt_1"}, []string{"stripe", "evt_1"}, false, "", false},
		{[]string{"--json", "stripe", "evt_1"}, []string{"stripe", "evt_1"}, true, "", false},
		{[]string{"stripe", "evt_1", "--json", "--db", "x.db"}, []string{"stripe", "evt_1"}, true, "x.db", false},
		{[]string{"stripe", "--db=x.db", "evt_1"}, []string{"stripe", "evt_1"}, false, "x.db", false},
		{[]string{"stripe", "--", "--json"}, []string{"stripe", "--json"}, false, "", false},
		{[]string{"stripe", "evt_1", "--nope"}, nil, false, "", true},
	}
	for _, tt := range tests {
		env, _, _ := testEnv(nil)
		env.Stderr = io.Discard
		fs := newFlagSet(env, "t", "t", "t")
		asJSON := fs.Bool("json", false, "")
		db := fs.String("db", "", "")
		pos, err := parseArgs(fs, tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseArgs(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if err == nil && (!slices.Equal(pos, tt.wantPos) || *asJSON != tt.wantJSON || *db != tt.wantDB) {
			t.Errorf("parseArgs(%q) = %q json=%v db=%q; want %q json=%v db=%q",
				tt.args, pos, *asJSON, *db, tt.wantPos, tt.wantJSON, tt.wantDB)
		}
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"whsec_a", []string{"whsec_a"}},
		{" whsec_a, ,whsec_b,", []string{"whsec_a", "whsec_b"}},
	}
	for _, tt := range tests {
		if got := app.SplitList(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
