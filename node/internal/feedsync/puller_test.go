package feedsync

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// TestPullerTranscripts drives the puller with the transcripts in
// testdata/pull. Feeds are single letters, each mapped to a fixed key.
//
//	local A=3 B=0       our heads (before the session)
//	accept A B          feeds we pull (others are ignored)
//	hello A=5 C=9       the partner's hello
//	entry A 4           an entry arrives (ok, or "! error" on the next line)
//	dup A 5             an entry we already held arrives
//	end                 the partner ends its answer
//	error text          the partner sends a sync error
//	busy text           the partner sends a sync error of code 3 (busy)
//	more yes|no         whether a new session must follow at once
//	unserved A yes|no   whether the partner announced more of A than it served
//	> want A:4-5 B:1-2  the puller must send this want
//	> finish            the puller must finish the session
//	> fail TEXT         the puller must abort with an error containing TEXT
func TestPullerTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/pull/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata/pull")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runTranscript(t, f) })
	}
}

func feedKey(name string) crypto.PublicKey {
	var k crypto.PublicKey
	k[0] = name[0] // keys sort like their letters
	return k
}

func feedName(k crypto.PublicKey) string { return string(k[0]) }

type transcript struct {
	t      *testing.T
	local  map[crypto.PublicKey]uint64
	accept map[crypto.PublicKey]bool
	m      *Puller
	out    []string // outputs not yet matched
}

func runTranscript(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := &transcript{t: t, local: map[crypto.PublicKey]uint64{}, accept: map[crypto.PublicKey]bool{}}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := tr.line(line); err != nil {
			t.Fatalf("%s:%d: %s: %v", path, n+1, line, err)
		}
	}
	if len(tr.out) > 0 {
		t.Fatalf("%s: unexpected output at end: %v", path, tr.out)
	}
}

func (tr *transcript) line(line string) error {
	f := strings.Fields(line)
	if f[0] == ">" {
		return tr.expect(strings.Join(f[1:], " "))
	}
	if len(tr.out) > 0 {
		return fmt.Errorf("puller output %v not matched by a > line", tr.out)
	}
	switch f[0] {
	case "local":
		return parseHeads(f[1:], tr.local)
	case "accept":
		for _, name := range f[1:] {
			tr.accept[feedKey(name)] = true
		}
		tr.m = New(tr.local, func(k crypto.PublicKey) bool { return tr.accept[k] })
		return nil
	case "hello":
		remote := map[crypto.PublicKey]uint64{}
		if err := parseHeads(f[1:], remote); err != nil {
			return err
		}
		tr.step(tr.m.Hello(remote))
	case "entry", "dup":
		return tr.entry(f)
	case "end":
		tr.step(tr.m.End())
	case "error":
		tr.step(tr.m.Frame(&protocol.SyncError{Message: strings.Join(f[1:], " ")}))
	case "busy":
		tr.step(tr.m.Frame(&protocol.SyncError{Code: protocol.SyncCodeBusy, Message: strings.Join(f[1:], " ")}))
	case "frame":
		tr.step(tr.m.Frame(&protocol.Hello{}))
	case "more":
		return yesNo(f[1], tr.m.More())
	case "unserved":
		return yesNo(f[2], tr.m.Unserved(feedKey(f[1])))
	default:
		return fmt.Errorf("unknown directive %q", f[0])
	}
	return nil
}

func (tr *transcript) entry(f []string) error {
	seq, err := strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		return err
	}
	k := feedKey(f[1])
	if err := tr.m.Entry(k, seq); err != nil {
		tr.out = append(tr.out, "fail "+err.Error())
		return nil
	}
	tr.m.Stored(k, seq, f[0] == "entry")
	return nil
}

func (tr *transcript) step(s Step) {
	switch {
	case s.Err != nil:
		tr.out = append(tr.out, "fail "+s.Err.Error())
	case s.Finish:
		tr.out = append(tr.out, "finish")
	default:
		parts := []string{"want"}
		for _, r := range s.Want {
			parts = append(parts, fmt.Sprintf("%s:%d-%d", feedName(r.Feed), r.From, r.To))
		}
		tr.out = append(tr.out, strings.Join(parts, " "))
	}
}

func (tr *transcript) expect(want string) error {
	if len(tr.out) == 0 {
		return fmt.Errorf("expected %q, the puller said nothing", want)
	}
	got := tr.out[0]
	tr.out = tr.out[1:]
	if text, ok := strings.CutPrefix(want, "fail "); ok {
		if !strings.HasPrefix(got, "fail ") || !strings.Contains(got, text) {
			return fmt.Errorf("got %q, want a failure containing %q", got, text)
		}
		return nil
	}
	if got != want {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	return nil
}

func parseHeads(fields []string, into map[crypto.PublicKey]uint64) error {
	for _, f := range fields {
		name, v, ok := strings.Cut(f, "=")
		seq, err := strconv.ParseUint(v, 10, 64)
		if !ok || err != nil || len(name) != 1 {
			return fmt.Errorf("bad head %q (want A=3)", f)
		}
		into[feedKey(name)] = seq
	}
	return nil
}

// TestPullerAcceptsRun: a run is accepted only when every entry would be,
// each following the one before it in its feed, and checking it records
// nothing.
func TestPullerAcceptsRun(t *testing.T) {
	a, b := feedKey("A"), feedKey("B")
	m := New(map[crypto.PublicKey]uint64{a: 3, b: 0}, func(crypto.PublicKey) bool { return true })
	if step := m.Hello(map[crypto.PublicKey]uint64{a: 8, b: 2}); step.Err != nil || len(step.Want) != 2 {
		t.Fatalf("hello: %+v", step)
	}
	run := func(spec ...any) []*protocol.Entry {
		var es []*protocol.Entry
		for i := 0; i < len(spec); i += 2 {
			es = append(es, &protocol.Entry{Author: spec[i].(crypto.PublicKey), Seq: uint64(spec[i+1].(int))})
		}
		return es
	}
	for _, tc := range []struct {
		name string
		es   []*protocol.Entry
		want bool
	}{
		{"in order", run(a, 4, a, 5, b, 1, a, 6, b, 2), true},
		{"gap", run(a, 4, a, 6), false},
		{"repeat", run(a, 4, a, 4), false},
		{"already held", run(a, 3, a, 4), false},
		{"beyond the range", run(b, 1, b, 2, b, 3), false},
		{"feed not asked", run(a, 4, feedKey("C"), 1), false},
	} {
		if got := m.AcceptsRun(tc.es); got != tc.want {
			t.Errorf("%s: acceptsRun = %v, want %v", tc.name, got, tc.want)
		}
	}
	if m.local[a] != 3 || m.local[b] != 0 {
		t.Errorf("acceptsRun recorded heads: %v", m.local)
	}
}

// yesNo checks a transcript's "yes" or "no" against got.
func yesNo(want string, got bool) error {
	if (want == "yes") != got {
		return fmt.Errorf("got %v, want %s", got, want)
	}
	return nil
}
