// Package buildinfo says which build of kpnode is running: the version
// that make release stamps into the binary (git describe of the commit,
// "-dirty" when the tree had changes), else what the Go toolchain recorded
// from version control when it built the binary.
//
// It is read-only after the program starts and safe for concurrent use.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// stamped and stampedCommit are set by make build and make release with
// -ldflags "-X github.com/kpnode/kpnode/internal/buildinfo.stamped=VERSION
// -X github.com/kpnode/kpnode/internal/buildinfo.stampedCommit=HASH";
// empty in any other build. The commit is stamped too because the
// toolchain's own record (vcs.revision) is absent when GOFLAGS has
// -buildvcs=false.
var stamped, stampedCommit string

// Version returns the version of this build: the stamped one, else one
// made from the Go toolchain's version control settings
// ("devel-<commit>[-dirty]"), else "devel".
func Version() string {
	if stamped != "" {
		return stamped
	}
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi)
}

// Commit returns the full commit hash the binary was built from, or ""
// when the build recorded none (go test, -buildvcs=false).
func Commit() string {
	if stampedCommit != "" {
		return stampedCommit
	}
	bi, _ := debug.ReadBuildInfo()
	rev, _ := vcs(bi)
	return rev
}

// Platform returns the Go version, operating system and architecture of
// this build ("go1.26.8 linux/amd64").
func Platform() string {
	return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// fromBuildInfo makes a version from what the toolchain recorded.
func fromBuildInfo(bi *debug.BuildInfo) string {
	rev, dirty := vcs(bi)
	if rev == "" {
		return "devel"
	}
	v := "devel-" + rev[:min(12, len(rev))]
	if dirty {
		v += "-dirty"
	}
	return v
}

// vcs returns the commit and whether the tree was modified, from bi's
// settings ("", false when bi is nil or has none).
func vcs(bi *debug.BuildInfo) (rev string, dirty bool) {
	if bi == nil {
		return "", false
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	return rev, dirty
}
