package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/testnet"
)

// The scale run of issue 7, item 6: a full-mesh testnet of real kpnode
// processes loaded with 90 days of trade must converge and pass its check;
// the benchmark records how long each step took and what the daemons cost.

var (
	testnetParticipants = flag.String("testnet.participants",
		"IN,BE,AE,ZA,BW,AO,CD,RU,CN,US,CA,AU,NA,SL,IL,CH,GB,LK,TH,JP",
		"BenchmarkTestnet's members (-short: IN,BE,AE)")
	testnetDays = flag.Int("testnet.days", 90, "days of trade BenchmarkTestnet loads (-short: 7)")
)

// BenchmarkTestnet brings up the testnet (full mesh), loads it, and runs
// `testnet check` (waiting for convergence, then judging every entry,
// chain and finding against the ground truth). It fails unless the check
// passes. Reported: the seconds of each step, the records loaded, and the
// daemons' CPU seconds and resident memory (summed over the members, and
// the largest) once converged.
func BenchmarkTestnet(b *testing.B) {
	codes, days := strings.Split(*testnetParticipants, ","), *testnetDays
	if testing.Short() {
		codes, days = []string{"IN", "BE", "AE"}, 7
	}
	bin, err := exec.LookPath("kpnode")
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		runTestnet(b, bin, codes, days)
	}
}

func runTestnet(b *testing.B, bin string, codes []string, days int) {
	ctx := context.Background()
	r := &testnet.ProcessRunner{Binary: bin}
	n, err := testnet.Create(b.TempDir(), codes, "full", r)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := n.Down(); err != nil {
			b.Errorf("down: %v", err)
		}
		r.Wait()
	}()
	start := time.Now()
	if err := n.Up(ctx); err != nil {
		b.Fatalf("%v\n%s", err, stoppedLogs(n))
	}
	up := time.Since(start)
	res, err := n.Load(ctx, testnet.LoadOptions{Days: days, Seed: 5, Anomalies: 24})
	if err != nil {
		b.Fatal(err)
	}
	rep := checkTestnet(b, n)
	b.ReportMetric(float64(len(codes)), "nodes")
	b.ReportMetric(up.Seconds(), "up_s")
	b.ReportMetric(res.Took.Seconds(), "load_s")
	b.ReportMetric(float64(res.Items), "records")
	b.ReportMetric(rep.Waited.Seconds(), "converge_s")
	reportDaemons(b, n, time.Since(start))
}

// checkTestnet runs the check against the load's ground truth and fails
// the benchmark unless it passes.
func checkTestnet(b *testing.B, n *testnet.Network) *testnet.Report {
	truth, err := n.ReadTruth()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	rep, err := n.Check(context.Background(), testnet.CheckOptions{Timeout: 5 * time.Minute, Truth: truth})
	if err != nil {
		b.Fatal(err)
	}
	if !rep.OK {
		b.Fatalf("check failed after %s:\n%s\n%s", rep.Waited, strings.Join(rep.Problems, "\n"), rep.Findings)
	}
	b.ReportMetric(time.Since(start).Seconds(), "check_s")
	return rep
}

// reportDaemons reports the members' CPU time and resident memory, read
// from /proc, and the CPU they used as cores over wall.
func reportDaemons(b *testing.B, n *testnet.Network, wall time.Duration) {
	var cpu time.Duration
	var rss, most int64
	for _, m := range n.Members() {
		cpu += procCPU(m.PID)
		bytes := procRSS(m.PID)
		if bytes == 0 {
			b.Fatalf("read the memory of %s's process %d", m.Code, m.PID)
		}
		rss += bytes
		most = max(most, bytes)
	}
	b.ReportMetric(cpu.Seconds(), "daemons_cpu_s")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "daemons_cores")
	b.ReportMetric(float64(rss)/(1<<20), "rss_total_mb")
	b.ReportMetric(float64(most)/(1<<20), "rss_max_mb")
}

// stoppedLogs returns the last lines of the log of each member that is not
// running, for the failure message (the directory is removed after).
func stoppedLogs(n *testnet.Network) string {
	var out strings.Builder
	for _, m := range n.Members() {
		if n.Running(m.Code) {
			continue
		}
		path, err := n.LogPath(m.Code)
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		fmt.Fprintf(&out, "%s's log, last lines:\n%s\n", m.Code, strings.Join(lines[max(0, len(lines)-5):], "\n"))
	}
	return out.String()
}
