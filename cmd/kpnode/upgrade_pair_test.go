package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// oldCommit is the previous release, which the mixed-version test runs
// beside this build.
const oldCommit = "7f4253e"

// TestMixedVersionPair runs the previous release (built from git history,
// see oldRelease) and this build as partners: cards made by each are
// pinned by the other, each publishes a notice to the other, each holds
// the other's entry and receipts its own.
func TestMixedVersionPair(t *testing.T) {
	old := oldRelease(t)
	dir := t.TempDir()
	in, be := filepath.Join(dir, "in"), filepath.Join(dir, "be")
	runBin(t, old, "init", "--participant", "IN", "--name", "India KP Authority", "--home", in)
	kpnode(t, "init", "--participant", "BE", "--name", "Belgian Diamond Office", "--home", be)
	startDaemonBin(t, old, in, "/ip4/127.0.0.1/tcp/0")
	startDaemon(t, be)
	inCard, beCard := filepath.Join(dir, "in.card"), filepath.Join(dir, "be.card")
	writeFile(t, inCard, runBin(t, old, "card", "--home", in))
	writeFile(t, beCard, kpnode(t, "card", "--home", be))
	runBin(t, old, "partners", "add", beCard, "--home", in)
	kpnode(t, "partners", "add", inCard, "--home", be)

	notice := string(mustRead(t, "../../docs/examples/notice.json"))
	writeFile(t, filepath.Join(dir, "in.json"), notice)
	writeFile(t, filepath.Join(dir, "be.json"), strings.NewReplacer(`"detected_by": "IN"`, `"detected_by": "BE"`,
		"IN-N-2026-0031", "BE-N-2026-0031").Replace(notice))
	runBin(t, old, "publish", "--home", in, "--type", "notice", "--to", "BE", filepath.Join(dir, "in.json"))
	kpnode(t, "publish", "--home", be, "--type", "notice", "--to", "IN", filepath.Join(dir, "be.json"))

	waitExchanged(t, old, in, "BE")
	waitExchanged(t, "kpnode", be, "IN")
	if got := kpnode(t, "feed", "--home", be, "--author", "IN", "--json"); !strings.Contains(got, "IN-N-2026-0031") {
		t.Errorf("this build did not decrypt the old release's notice:\n%s", got)
	}
	if got := runBin(t, old, "feed", "--home", in, "--author", "BE", "--json"); !strings.Contains(got, "BE-N-2026-0031") {
		t.Errorf("the old release did not decrypt this build's notice:\n%s", got)
	}
}

// waitExchanged waits, for at most 60 s, until home (run by bin) holds
// partner's entry 1 and partner has receipted home's entry 1.
func waitExchanged(t *testing.T, bin, home, partner string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var s struct {
			Partners []struct {
				Code    string `json:"code"`
				OurCopy uint64 `json:"our_copy"`
				Receipt uint64 `json:"receipt"`
			} `json:"partners"`
		}
		out := runBin(t, bin, "status", "--home", home, "--json")
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("status of %s: %v\n%s", home, err, out)
		}
		for _, p := range s.Partners {
			if p.Code == partner && p.OurCopy >= 1 && p.Receipt >= 1 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (%s) and %s did not exchange entry 1 within 60 s:\n%s", home, bin, partner, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// oldRelease returns a kpnode binary of oldCommit, built once from the
// repository's git history (git archive, not a worktree) and kept in the
// user's cache directory, per Go version: the first build costs about as
// much as make build, later runs nothing. Without the git history (a
// source tarball) the test is skipped, saying so.
func oldRelease(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("no cache directory for the old release: %v", err)
	}
	bin := filepath.Join(cache, "kpnode-test", "release-"+oldCommit+"-"+runtime.Version(), "kpnode")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := exec.Command("git", "-C", "../..", "cat-file", "-e", oldCommit+"^{commit}").Run(); err != nil {
		t.Skipf("the git history does not hold %s (a source tarball?): cannot build the previous release to run beside this one", oldCommit)
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", fmt.Sprintf("git -C ../.. archive %s | tar -x -C %s", oldCommit, src))
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("extract %s: %v\n%s", oldCommit, err, out)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o700); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tmp := bin + fmt.Sprintf(".%d", os.Getpid())
	build := exec.Command("go", "build", "-trimpath", "-o", tmp, "./cmd/kpnode")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", oldCommit, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("built the previous release %s in %v into %s", oldCommit, time.Since(start).Round(time.Second), bin)
	return bin
}

// runBin runs kpnode executable bin with args and returns its output.
func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
