package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpnode/kpnode/testnet"
)

// TestTestnetFaults is the testnet's acceptance run with real kpnode
// processes: five participants, 30 days of trade with anomalies of every
// rule, one node killed with SIGKILL mid-load and restarted, a partition
// into two groups while trade goes on, a heal, and then the check must
// pass: every entry everywhere, chains verified, no equivocation, every
// injected anomaly found and no false alarm. Every process is stopped at
// the end, also when the test fails.
func TestTestnetFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five real daemons; skipped in -short mode")
	}
	bin, err := exec.LookPath("kpnode")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := &testnet.ProcessRunner{Binary: bin}
	n, err := testnet.Create(t.TempDir(), []string{"IN", "BE", "AE", "ZA", "BW"}, "full", r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Down(); err != nil {
			t.Errorf("down: %v", err)
		}
		r.Wait()
	})
	if err := n.Up(ctx); err != nil {
		t.Fatal(err)
	}

	var killed atomic.Bool
	killErr := make(chan error, 1)
	res, err := n.Load(ctx, testnet.LoadOptions{Days: 30, Seed: 7, Anomalies: 24, Progress: func(done, total int) {
		if done*3 >= total && killed.CompareAndSwap(false, true) {
			killErr <- n.Stop(true, "ZA") // SIGKILL; the load retries ZA until it is back
			go func() { killErr <- n.Start(ctx, "ZA") }()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !killed.Load() {
		t.Fatal("the load ended before the kill")
	}
	for range 2 {
		if err := <-killErr; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("load: %d records, %d requests, %d expected findings, %s", res.Items, res.Requests, res.Expected, res.Took)

	if err := n.Partition(ctx, [][]string{{"IN", "BE"}, {"AE", "ZA", "BW"}}); err != nil {
		t.Fatal(err)
	}
	notice, err := os.ReadFile("../../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Publish(ctx, "IN", "notice", notice, []string{"BE", "AE", "ZA", "BW"}); err != nil {
		t.Fatal(err) // crosses the partition only once healed
	}
	if err := n.Stop(false, "BW"); err != nil { // a restart inside the partition
		t.Fatal(err)
	}
	if err := n.Start(ctx, "BW"); err != nil {
		t.Fatal(err)
	}
	if err := n.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	truth, err := n.ReadTruth()
	if err != nil || truth == nil || len(truth.Expected) == 0 || len(truth.Questions) == 0 {
		t.Fatalf("truth: %+v, %v; want expected findings and questionnaires", truth, err)
	}
	rep, err := n.Check(ctx, testnet.CheckOptions{Timeout: 3 * time.Minute, Truth: truth})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Findings == nil || rep.Findings.Total().Expected == 0 {
		t.Fatal("check judged no findings")
	}
	t.Logf("findings:\n%s", rep.Findings)
	if !rep.OK {
		t.Fatalf("check failed after %s:\n%s\n%s", rep.Waited, strings.Join(rep.Problems, "\n"), rep.Findings)
	}
}
