package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// upgradeFixture is a home written by the previous release, 7f4253e
// (scripts/upgrade-fixture.sh made it): IN with partners BE and AE, the
// three feeds holding one record of each type, a few batches, and what
// that build listed for them (old/).
const upgradeFixture = "testdata/upgrade/7f4253e"

// fixtureTypes are the record types the fixture holds; the test fails if
// the fixture loses one.
var fixtureTypes = []string{"acknowledgement", "anomaly_answer", "anomaly_query", "certificate", "import_confirmation",
	"notice", "pre_notification", "production_statistics", "trade_statistics", "withdrawal"}

// TestUpgradeOpensOldStore opens the previous release's home with this
// build: kpnode verify finds every entry and chain sound with the daemon
// stopped; then the daemon runs on it and lists every entry of every feed
// with the same hash, audience and decrypted record, the same findings
// and the same partners as the old build did.
func TestUpgradeOpensOldStore(t *testing.T) {
	h := copyFixtureHome(t, filepath.Join(upgradeFixture, "home"))
	if out := kpnode(t, "verify", "--home", h); !strings.Contains(out, ": 0 problem(s)") {
		t.Errorf("verify of the old store:\n%s", out)
	}
	startDaemon(t, h)
	var types []string
	for _, author := range []string{"IN", "BE", "AE"} {
		old := readFeedJSON(t, mustRead(t, filepath.Join(upgradeFixture, "old", "feed-"+author+".json")))
		got := readFeedJSON(t, []byte(kpnode(t, "feed", "--home", h, "--author", author, "--limit", "100000", "--json")))
		compareFeeds(t, author, old, got)
		for _, e := range old {
			types = append(types, e.recordType())
		}
	}
	slices.Sort(types)
	if types = slices.Compact(types); !slices.Equal(types, fixtureTypes) {
		t.Errorf("the fixture holds the types %v, want %v", types, fixtureTypes)
	}
	old := readFindings(t, mustRead(t, filepath.Join(upgradeFixture, "old", "findings.json")))
	if got := readFindings(t, []byte(kpnode(t, "findings", "--home", h, "--all", "--json"))); !reflect.DeepEqual(got, old) {
		t.Errorf("findings after the upgrade:\n%v\nthe old build's:\n%v", got, old)
	}
	oldPartners := readPartners(t, mustRead(t, filepath.Join(upgradeFixture, "old", "partners.json")))
	if got := readPartners(t, []byte(kpnode(t, "partners", "list", "--home", h, "--json"))); !reflect.DeepEqual(got, oldPartners) {
		t.Errorf("partners after the upgrade: %v, the old build's: %v", got, oldPartners)
	}
}

// feedEntry is what kpnode feed --json lists of an entry and the upgrade
// must keep.
type feedEntry struct {
	Author   string          `json:"author"`
	Seq      uint64          `json:"seq"`
	Hash     string          `json:"hash"`
	Prev     string          `json:"prev"`
	Type     string          `json:"type"`
	Audience []string        `json:"audience"`
	Record   json.RawMessage `json:"record"`
}

// recordType is the entry's record type, a batch's items' type.
func (e feedEntry) recordType() string {
	if e.Type != "batch" {
		return e.Type
	}
	var b struct{ Type string }
	json.Unmarshal(e.Record, &b)
	return b.Type
}

func readFeedJSON(t *testing.T, b []byte) []feedEntry {
	t.Helper()
	var es []feedEntry
	if err := json.Unmarshal(b, &es); err != nil {
		t.Fatalf("feed JSON: %v\n%s", err, b)
	}
	return es
}

// compareFeeds checks that got lists the entries of old, each with the
// same hash, chain link, type, audience and record (compared as JSON
// values, so a change of field order or spacing does not count).
func compareFeeds(t *testing.T, author string, old, got []feedEntry) {
	t.Helper()
	if len(got) != len(old) {
		t.Errorf("feed %s: %d entries after the upgrade, %d before", author, len(got), len(old))
		return
	}
	for i, o := range old {
		g := got[i]
		if g.Author != o.Author || g.Seq != o.Seq || g.Hash != o.Hash || g.Prev != o.Prev || g.Type != o.Type ||
			!slices.Equal(g.Audience, o.Audience) {
			t.Errorf("feed %s entry %d: %+v after the upgrade, %+v before", author, o.Seq, g, o)
			continue
		}
		if !reflect.DeepEqual(jsonValue(t, g.Record), jsonValue(t, o.Record)) {
			t.Errorf("feed %s entry %d: record\n%s\nafter the upgrade, before:\n%s", author, o.Seq, g.Record, o.Record)
		}
	}
}

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("record JSON: %v: %s", err, b)
	}
	return v
}

// readFindings reads findings --json's lines, each without "since" (when
// this node found it: at the upgraded node's first load).
func readFindings(t *testing.T, b []byte) map[string]any {
	t.Helper()
	out := map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var f map[string]any
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("finding line %q: %v", sc.Text(), err)
		}
		delete(f, "since")
		out[f["id"].(string)] = f
	}
	if len(out) == 0 {
		t.Fatalf("no findings in %q", b)
	}
	return out
}

// readPartners reads partners list --json, keeping what pins a partner.
func readPartners(t *testing.T, b []byte) []string {
	t.Helper()
	var ps []struct{ Code, Fingerprint, PeerID, AgeRecipient string }
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatalf("partners JSON: %v\n%s", err, b)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Code+" "+p.Fingerprint)
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// copyFixtureHome copies a checked-in home into a temporary directory,
// with the modes kpnode init gives (git keeps none of them).
func copyFixtureHome(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "home")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o700)
		}
		return os.Chmod(p, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestUpgradedStoreRefusedByPreviousRelease: once this build has opened
// the previous release's home, its store is layout 3 (record bodies
// compressed), and the previous release (built from git history, see
// oldRelease) refuses it, naming both layouts, instead of calling its
// records corrupt.
func TestUpgradedStoreRefusedByPreviousRelease(t *testing.T) {
	old := oldRelease(t)
	h := copyFixtureHome(t, filepath.Join(upgradeFixture, "home"))
	if out := runBin(t, old, "verify", "--home", h); !strings.Contains(out, ": 0 problem(s)") {
		t.Fatalf("the previous release's verify of its own store:\n%s", out)
	}
	if out := kpnode(t, "verify", "--home", h); !strings.Contains(out, ": 0 problem(s)") {
		t.Fatalf("verify of the upgraded store:\n%s", out)
	}
	out, err := exec.Command(old, "verify", "--home", h).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "has layout 3") || !strings.Contains(string(out), "reads layout 2") {
		t.Errorf("the previous release on the upgraded store: %v\n%s", err, out)
	}
}
