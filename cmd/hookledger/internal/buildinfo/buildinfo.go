// Package buildinfo says which hookledger this is: its version, the commit
// it was built from and the Go that built it, from the build information
// the go command embeds (runtime/debug.ReadBuildInfo). `hookledger version`
// prints it and /metrics exports it.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version, when set at link time, overrides the module version from the
// build information, for a release built outside a tagged checkout:
//
//	go build -ldflags "-X github.com/hookledger/hookledger/cmd/hookledger/internal/buildinfo.version=v1.2.0" ./cmd/hookledger
var version string

// Info is what a build says about itself.
type Info struct {
	Version   string // "v1.2.0", a pseudo-version, or "(devel)" for an unstamped local build
	Commit    string // the VCS revision; "" when the build has none
	Time      string // the commit's time, RFC 3339; "" when unknown
	Modified  bool   // built from a work tree with uncommitted changes
	GoVersion string // "go1.27.3"
	Platform  string // "linux/amd64"
}

// Read returns the running binary's Info. Without build information (a
// test binary, say) the version is "(devel)" and the commit empty.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	return fromBuildInfo(bi, ok)
}

func fromBuildInfo(bi *debug.BuildInfo, ok bool) Info {
	in := Info{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok && bi != nil {
		if v := bi.Main.Version; v != "" {
			in.Version = v
		}
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Commit = s.Value
			case "vcs.time":
				in.Time = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		in.Version = version
	}
	return in
}

// ShortCommit is the commit's first 12 characters, "unknown" when the build
// recorded none.
func (in Info) ShortCommit() string {
	switch {
	case in.Commit == "":
		return "unknown"
	case len(in.Commit) > 12:
		return in.Commit[:12]
	}
	return in.Commit
}

// String is the one-line form `hookledger version` prints:
// "hookledger v1.2.0 (commit 0123456789ab, 2026-12-01T19:00:00Z, modified) go1.27.3 linux/amd64".
func (in Info) String() string {
	commit := []string{"commit " + in.ShortCommit()}
	if in.Time != "" {
		commit = append(commit, in.Time)
	}
	if in.Modified {
		commit = append(commit, "modified")
	}
	return fmt.Sprintf("hookledger %s (%s) %s %s", in.Version, strings.Join(commit, ", "), in.GoVersion, in.Platform)
}
