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
// processes loaded with a year of trade must converge and pass its check;
// the benchmark records how long each step took and what the daemons cost.
// The whole network of issue 20, item 2 (BenchmarkWholeNetwork) is the
// same run with every participant on the trade topology; make bench
// reports it against BenchmarkTestnet's of the same run.

var (
	testnetParticipants = flag.String("testnet.participants",
		"IN,BE,AE,ZA,BW,AO,CD,RU,CN,US,CA,AU,NA,SL,IL,CH,GB,LK,TH,JP",
		"BenchmarkTestnet's members (-short: IN,BE,AE)")
	testnetDays = flag.Int("testnet.days", 365, "days of trade BenchmarkTestnet and BenchmarkWholeNetwork load (-short: 7)")
	testnetIdle = flag.Duration("testnet.idle", 30*time.Second,
		"the window, after the check, over which the idle network's CPU is measured (-short: 1s)")
)

// testnetRun is what one benchmark run brings up.
type testnetRun struct {
	codes    []string
	topology string
	days     int
	idle     time.Duration
}

// BenchmarkTestnet brings up the testnet (full mesh), loads it, and runs
// `testnet check` (waiting for convergence, then judging every entry,
// chain and finding against the ground truth). It fails unless the check
// passes. Reported: the seconds of each step, the records loaded, and the
// daemons' CPU seconds and resident memory (summed over the members, and
// the largest) once converged.
func BenchmarkTestnet(b *testing.B) {
	run := testnetRun{codes: strings.Split(*testnetParticipants, ","), topology: "full", days: *testnetDays, idle: *testnetIdle}
	if testing.Short() {
		run.codes, run.days, run.idle = []string{"IN", "BE", "AE"}, 7, time.Second
	}
	runTestnets(b, run)
}

// BenchmarkWholeNetwork is BenchmarkTestnet for the whole Kimberley
// Process (issue 20, item 2): every participant of `--participants kp`
// (67 nodes) linked as `--topology trade` says. Its targets: up, load,
// converge and check within 15 minutes, under 4 GB resident in all, no
// node over 100 MB, the idle network under 25 % of one core (BENCHMARKS.md
// judges them). -short: the first 8 participants, 7 days.
func BenchmarkWholeNetwork(b *testing.B) {
	run := testnetRun{codes: testnet.KPParticipants(), topology: "trade", days: *testnetDays, idle: *testnetIdle}
	if testing.Short() {
		run.codes, run.days, run.idle = run.codes[:8], 7, time.Second
	}
	runTestnets(b, run)
}

func runTestnets(b *testing.B, run testnetRun) {
	bin, err := exec.LookPath("kpnode")
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		runTestnet(b, bin, run)
	}
}

func runTestnet(b *testing.B, bin string, run testnetRun) {
	ctx := context.Background()
	r := &testnet.ProcessRunner{Binary: bin}
	n, err := testnet.Create(b.TempDir(), run.codes, run.topology, r)
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
	res, err := n.Load(ctx, testnet.LoadOptions{Days: run.days, Seed: 5, Anomalies: 24})
	if err != nil {
		b.Fatal(err)
	}
	rep := checkTestnet(b, n)
	wall := time.Since(start)
	b.ReportMetric(float64(len(run.codes)), "nodes")
	b.ReportMetric(up.Seconds(), "up_s")
	b.ReportMetric(res.Took.Seconds(), "load_s")
	b.ReportMetric(float64(res.Items), "records")
	b.ReportMetric(rep.Waited.Seconds(), "converge_s")
	b.ReportMetric(wall.Seconds(), "total_s")
	reportDaemons(b, n, wall, run.idle)
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

// reportDaemons reports the members' CPU time over the run (as cores
// over wall), their memory once converged (testnet.Stats: resident, anon,
// proportional), and the CPU of the idle network over the idle window
// after the check, as % of one core summed over the members.
func reportDaemons(b *testing.B, n *testnet.Network, wall, idle time.Duration) {
	st, err := n.Stats(context.Background(), idle)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range st.Nodes {
		if s.Unreadable != "" {
			b.Fatalf("read the resources of %s's process %d: %s", s.Code, s.PID, s.Unreadable)
		}
	}
	tot := st.Totals()
	var cpu float64
	for _, s := range st.Nodes {
		cpu += s.CPUSeconds
	}
	cpu -= tot.CPUPercent / 100 * idle.Seconds() // the run's, without the idle window
	b.ReportMetric(cpu, "daemons_cpu_s")
	b.ReportMetric(cpu/wall.Seconds(), "daemons_cores")
	b.ReportMetric(tot.RSSMiB, "rss_total_mb")
	b.ReportMetric(tot.Largest.RSSMiB(), "rss_max_mb")
	b.ReportMetric(tot.RSSAnonMiB, "anon_total_mb")
	b.ReportMetric(tot.PSSMiB, "pss_total_mb")
	b.ReportMetric(tot.CPUPercent, "idle_cpu_pct")
	b.ReportMetric(tot.Busiest.CPUPercent, "idle_cpu_max_pct")
	b.ReportMetric(float64(tot.Goroutines), "goroutines")
	b.ReportMetric(float64(tot.Connections), "connections")
	b.ReportMetric(float64(tot.OpenFiles), "open_files")
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
