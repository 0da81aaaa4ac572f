package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "v1.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2026-12-01T19:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	tests := []struct {
		name     string
		bi       *debug.BuildInfo
		ok       bool
		override string
		want     string
	}{
		{"release", stamped, true, "", "hookledger v1.2.0 (commit 0123456789ab, 2026-12-01T19:00:00Z, modified) go1.27.3 "},
		{"devel without vcs", &debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Version: "(devel)"}}, true, "",
			"hookledger (devel) (commit unknown) go1.27.3 "},
		{"no build info", nil, false, "", "hookledger (devel) (commit unknown) "},
		{"link-time version", stamped, true, "v9.9.9", "hookledger v9.9.9 (commit 0123456789ab, 2026-12-01T19:00:00Z, modified) go1.27.3 "},
	}
	for _, tt := range tests {
		version = tt.override
		in := fromBuildInfo(tt.bi, tt.ok)
		if got := in.String(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
			t.Errorf("%s: String() = %q, want it to start %q", tt.name, got, tt.want)
		}
		if in.Platform == "" || in.GoVersion == "" {
			t.Errorf("%s: Info = %+v, want a Go version and platform", tt.name, in)
		}
	}
	version = ""
}
