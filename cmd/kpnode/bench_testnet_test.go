package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/cmd/kpnode/internal/cli"
	"github.com/kpnode/kpnode/home"
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
		"the shortest window, after the check, over which the idle network's CPU is measured; it lasts until every daemon has looked for free heap to return since the check (-short: 1s, without that wait)")
)

// testnetRun is what one benchmark run brings up.
type testnetRun struct {
	codes    []string
	topology string
	days     int
	idle     time.Duration // the shortest idle window
	// settle: the idle window also lasts until every daemon has looked
	// for free heap to return since the check (not in -short)
	settle bool
}

// BenchmarkTestnet brings up the testnet (full mesh), loads it, and runs
// `testnet check` (waiting for convergence, then judging every entry,
// chain and finding against the ground truth). It fails unless the check
// passes. Reported: the seconds of each step, the records loaded, and the
// daemons' CPU seconds and resident memory (summed over the members, and
// the largest) once converged.
func BenchmarkTestnet(b *testing.B) {
	run := testnetRun{codes: strings.Split(*testnetParticipants, ","), topology: "full", days: *testnetDays, idle: *testnetIdle, settle: true}
	if testing.Short() {
		run.codes, run.days, run.idle, run.settle = []string{"IN", "BE", "AE"}, 7, time.Second, false
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
	run := testnetRun{codes: testnet.KPParticipants(), topology: "trade", days: *testnetDays, idle: *testnetIdle, settle: true}
	if testing.Short() {
		run.codes, run.days, run.idle, run.settle = run.codes[:8], 7, time.Second, false
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
	checked := time.Now()
	wall := checked.Sub(start)
	b.ReportMetric(float64(len(run.codes)), "nodes")
	b.ReportMetric(up.Seconds(), "up_s")
	b.ReportMetric(res.Took.Seconds(), "load_s")
	b.ReportMetric(float64(res.Items), "records")
	b.ReportMetric(rep.Waited.Seconds(), "converge_s")
	b.ReportMetric(wall.Seconds(), "total_s")
	idle := run.idle
	if run.settle {
		idle = max(idle, time.Until(settledAt(b, n.Members(), checked)))
	}
	b.ReportMetric(idle.Seconds(), "idle_s")
	reportDaemons(b, n, wall, idle)
}

// releaseSlack is how long after a daemon's last possible look for free
// heap its memory is read: the look and the release take a few ms on an
// idle machine.
const releaseSlack = 2 * time.Second

// settledAt returns when every member will have looked for free heap to
// return (cli.ReleaseEvery) at least once after checked, plus
// releaseSlack: the memory read then is what the idle daemons keep, not
// the load's leftovers. Each daemon's ticker starts between the lock of
// its home (run.lock) and its API's address file (api.addr), both written
// by the daemon, before and after it.
func settledAt(tb testing.TB, members []*testnet.Member, checked time.Time) time.Time {
	var last time.Time
	for _, m := range members {
		h := home.Home{Dir: m.Home}
		locked, err1 := os.Stat(h.LockPath())
		listening, err2 := os.Stat(h.APIAddrPath())
		if err := errors.Join(err1, err2); err != nil {
			tb.Fatalf("when %s's daemon started: %v", m.Code, err)
		}
		last = latest(last, lookDeadline(locked.ModTime(), listening.ModTime(), checked, cli.ReleaseEvery))
	}
	return last.Add(releaseSlack)
}

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// lookDeadline returns by when a ticker of period every, started at some
// moment between started and listening, has ticked at least once at or
// after from: its tick k (counted from 1) falls in [started + k*every,
// listening + k*every], so the first k whose earliest moment is not before
// from will do.
func lookDeadline(started, listening, from time.Time, every time.Duration) time.Time {
	k := max(1, (from.Sub(started)+every-1)/every)
	return listening.Add(k * every)
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

// TestLookDeadline checks, for tickers started anywhere between started
// and listening, that one of their ticks falls between from and the
// deadline, and that the deadline is at most a period and the start's
// uncertainty after from (or the start, if later).
func TestLookDeadline(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	every := time.Minute
	for _, c := range []struct{ started, listening, from time.Duration }{
		{0, 2 * time.Second, 45 * time.Second},                 // the 20 nodes: checked before the first tick
		{5 * time.Second, 27 * time.Second, 65 * time.Second},  // the whole network: checked after some first ticks
		{0, 0, 60 * time.Second},                               // checked right on a tick
		{10 * time.Second, 11 * time.Second, 3 * time.Minute},  // several periods later
		{30 * time.Second, 31 * time.Second, 10 * time.Second}, // checked before the daemon started
	} {
		started, listening, from := t0.Add(c.started), t0.Add(c.listening), t0.Add(c.from)
		deadline := lookDeadline(started, listening, from, every)
		if slack := deadline.Sub(latest(from, started)); slack > every+listening.Sub(started) {
			t.Errorf("%+v: deadline %s after from (or the start), want at most %s", c, slack, every+listening.Sub(started))
		}
		for start := started; !start.After(listening); start = start.Add(100 * time.Millisecond) {
			tick := start.Add(every)
			for tick.Before(from) {
				tick = tick.Add(every)
			}
			if tick.After(deadline) {
				t.Fatalf("%+v: a ticker started at +%s first ticks after from at +%s, after the deadline +%s",
					c, start.Sub(t0), tick.Sub(t0), deadline.Sub(t0))
			}
		}
	}
}
