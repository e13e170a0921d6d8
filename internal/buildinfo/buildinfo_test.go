package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestFromBuildInfo checks the version of a binary built without make
// release: it names the commit, says when the tree was dirty, and is
// "devel" when the toolchain recorded no commit.
func TestFromBuildInfo(t *testing.T) {
	const rev = "7f4253e0123456789abcdef0123456789abcdef0"
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{nil, "devel"},
		{&debug.BuildInfo{}, "devel"},
		{settings("vcs.revision", rev, "vcs.modified", "false"), "devel-7f4253e01234"},
		{settings("vcs.revision", rev, "vcs.modified", "true"), "devel-7f4253e01234-dirty"},
		{settings("vcs.modified", "true", "vcs.revision", "abc"), "devel-abc-dirty"},
	} {
		if got := fromBuildInfo(tc.bi); got != tc.want {
			t.Errorf("fromBuildInfo(%v) = %q, want %q", tc.bi, got, tc.want)
		}
	}
}

// TestStampedVersionWins checks that the version make release stamps is
// the one reported.
func TestStampedVersionWins(t *testing.T) {
	defer func(v, c string) { stamped, stampedCommit = v, c }(stamped, stampedCommit)
	stamped, stampedCommit = "v0.3.0-2-g7f4253e01234-dirty", "7f4253e0123456789abcdef0123456789abcdef0"
	if got := Version(); got != stamped {
		t.Errorf("Version() = %q, want the stamped %q", got, stamped)
	}
	if got := Commit(); got != stampedCommit {
		t.Errorf("Commit() = %q, want the stamped %q", got, stampedCommit)
	}
	if p := Platform(); !strings.HasPrefix(p, "go1.") || !strings.Contains(p, "/") {
		t.Errorf("Platform() = %q, want go version and os/arch", p)
	}
}

func settings(kv ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{}
	for i := 0; i+1 < len(kv); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return bi
}
