package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(cleanupM{m}, map[string]func(){"kpnode": func() { os.Exit(run()) }})
}

// cleanupM runs the tests, then removes what benchmarks keep for the
// whole process: testscript.Main exits right after Run.
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	removeScaleHome() // the large store of the scale benchmarks
	stopIdleNetwork() // the daemon and partners of BenchmarkIdle
	stopPeerWriters() // the writers of BenchmarkPeerHypercore
	return code
}

// TestScripts runs the CLI scenarios in testdata/script against the real
// kpnode main, with real daemons on loopback.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("KPNODE_HOME", "")
			env.Setenv("HOME", env.WorkDir)
			docs, err := filepath.Abs("../../docs")
			env.Setenv("DOCS", docs)
			return err
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"tamper":      cmdTamper,
			"tamperaudit": cmdTamperAudit,
			"chmod":       cmdChmod,
			"secretfree":  cmdSecretFree,
			"sameblob":    cmdSameBlob,
		},
	})
}

// cmdTamper flips one byte of a stored entry of the home's own feed:
// tamper HOME SEQ OFFSET.
func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: tamper HOME SEQ OFFSET")
	}
	h := home.Home{Dir: ts.MkAbs(args[0])}
	id, err := h.ReadIdentity(nil)
	ts.Check(err)
	seq, err := strconv.ParseUint(args[1], 10, 64)
	ts.Check(err)
	off, err := strconv.Atoi(args[2])
	ts.Check(err)
	ts.Check(store.TamperEntry(h.StoreDir(), id.Public(), seq, off))
}

// cmdTamperAudit flips one byte of a stored audit record:
// tamperaudit HOME SEQ OFFSET (a negative offset counts from the end).
func cmdTamperAudit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: tamperaudit HOME SEQ OFFSET")
	}
	seq, err := strconv.ParseUint(args[1], 10, 64)
	ts.Check(err)
	off, err := strconv.Atoi(args[2])
	ts.Check(err)
	ts.Check(store.TamperAudit(home.Home{Dir: ts.MkAbs(args[0])}.StoreDir(), seq, off))
}

// cmdChmod sets a file's mode: chmod MODE FILE.
func cmdChmod(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: chmod MODE FILE")
	}
	mode, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	ts.Check(os.Chmod(filepath.Clean(ts.MkAbs(args[1])), os.FileMode(mode)))
}

// cmdSecretFree checks that a command line an opener received carries
// nothing of the sign-in page it was handed: secretfree ARGSFILE PAGE.
func cmdSecretFree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: secretfree ARGSFILE PAGE")
	}
	argv := ts.ReadFile(args[0])
	m := regexp.MustCompile(`name="code" value="([^"]+)"`).FindStringSubmatch(ts.ReadFile(args[1]))
	if m == nil {
		ts.Fatalf("%s holds no sign-in code", args[1])
	}
	if strings.Contains(argv, m[1]) {
		ts.Fatalf("the opener's command line %q carries the sign-in code", argv)
	}
}

// cmdSameBlob checks that every record of an exported JSON table that
// carries a file named NAME names the same blob, and that at least two
// do: sameblob FILE NAME.
func cmdSameBlob(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sameblob FILE NAME")
	}
	var recs []struct {
		Attachments []protocol.AttachedFile `json:"attachments"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &recs))
	blobs := map[string]int{}
	for _, r := range recs {
		for _, f := range r.Attachments {
			if f.Name == args[1] {
				blobs[f.Blob]++
			}
		}
	}
	if len(blobs) != 1 {
		ts.Fatalf("%s is stored as %d blobs: %v", args[1], len(blobs), blobs)
	}
	for _, n := range blobs {
		if n < 2 {
			ts.Fatalf("%s is named by %d record, want 2 or more", args[1], n)
		}
	}
}
