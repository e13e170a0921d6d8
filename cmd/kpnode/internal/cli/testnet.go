package cli

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kpnode/kpnode/testnet"
)

const testnetSynopsis = "up|load|chaos|check|status|stats|down|logs [--dir DIR] …"

// testnetFlags are the flags of every testnet subcommand.
type testnetFlags struct {
	dir, participants, topology string
	nat                         string // reach: up --nat
	days, anomalies             int
	seed                        int64
	asJSON, purge               bool
	timeout                     time.Duration
	lines                       int
	window                      time.Duration // stats: the CPU window
}

func runTestnet(e *env, args []string) error {
	fs := flag.NewFlagSet("kpnode testnet", flag.ContinueOnError)
	fs.SetOutput(e.Err)
	var f testnetFlags
	fs.StringVar(&f.dir, "dir", "testnet", "the testnet's directory")
	fs.StringVar(&f.participants, "participants", "IN,BE,AE,ZA,BW", "up: node codes, comma-separated, or kp for the whole network")
	fs.StringVar(&f.topology, "topology", "full", "up: full, star:CODE, pairs:A-B,C-D or trade[:SEED]")
	fs.StringVar(&f.nat, "nat", "", "up: nodes behind a simulated NAT (listen on nothing, dial out only), comma-separated") // reach
	fs.IntVar(&f.days, "days", 90, "load: days of trade, 1..730")
	fs.Int64Var(&f.seed, "seed", 1, "load: generator seed (same seed, same trade)")
	fs.IntVar(&f.anomalies, "anomalies", 12, "load: anomalies to inject, spread over the rules")
	fs.BoolVar(&f.asJSON, "json", false, "check, status: print JSON")
	fs.BoolVar(&f.purge, "purge", false, "down: also delete the directory")
	fs.DurationVar(&f.timeout, "timeout", 3*time.Minute, "check: how long to wait for convergence")
	fs.IntVar(&f.lines, "lines", 50, "logs: how many of the last lines (0 for all)")
	fs.DurationVar(&f.window, "window", time.Minute, "stats: the window over which each node's CPU is measured (0: none)")
	fs.Usage = func() { testnetUsage(e.Err); fs.PrintDefaults() }
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("testnet needs a subcommand: up, load, chaos, check, status, stats, down or logs")
	}
	t := &testnetCmd{e: e, f: f}
	switch pos[0] {
	case "up":
		return t.up()
	case "load":
		return t.load()
	case "chaos":
		return t.chaos(pos[1:])
	case "check":
		return t.check()
	case "status":
		return t.status()
	case "stats":
		return t.stats()
	case "down":
		return t.down()
	case "logs":
		return t.logs(pos[1:])
	}
	return usageErrorf("testnet: unknown subcommand %q", pos[0])
}

func testnetUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: kpnode testnet SUBCOMMAND [--dir DIR] [flags]

  up      [--participants IN,BE,AE,ZA,BW|kp] [--topology full|star:BE|pairs:IN-BE,BE-AE|trade[:SEED]] [--nat AE,ZA]
          create (or restart) the nodes, pin cards as the topology says, print addresses;
          --nat nodes listen on nothing and reach partners through a relaying partner
  load    [--days 90] [--seed N] [--anomalies N]   generate and publish trade (up to 730 days), write truth.json
  chaos   stop|kill|start|restart NODE... | partition IN,BE AE,ZA,BW | heal
  check   [--json] [--timeout 3m]   wait for convergence, then judge (exit 0 only if all holds)
  status  [--json]                  members, processes, addresses, partition
  stats   [--window 1m] [--json]    each node's memory (anonymous, file, PSS), goroutines,
                                    connections, open files and CPU over the window (Linux)
  down    [--purge]                 stop every node (and delete the directory)
  logs    NODE [--lines 50]         the node's log

Flags:
`)
}

// testnetCmd runs one testnet subcommand.
type testnetCmd struct {
	e *env
	f testnetFlags
}

// runner runs the nodes with the kpnode this command was started as:
// os.Args[0] (looked up in PATH when it is a bare name), which is also
// right when the binary is a link, as in the CLI tests.
func (t *testnetCmd) runner() (*testnet.ProcessRunner, error) {
	bin := os.Args[0]
	if !strings.ContainsRune(bin, filepath.Separator) {
		p, err := exec.LookPath(bin)
		if err != nil {
			return nil, fmt.Errorf("find the kpnode executable: %w", err)
		}
		bin = p
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, fmt.Errorf("find the kpnode executable: %w", err)
	}
	return &testnet.ProcessRunner{Binary: abs}, nil
}

func (t *testnetCmd) open() (*testnet.Network, error) {
	r, err := t.runner()
	if err != nil {
		return nil, err
	}
	return testnet.Open(t.f.dir, r)
}

func (t *testnetCmd) up() error {
	n, err := t.open()
	if err != nil {
		n, err = t.create()
	}
	if err != nil {
		return err
	}
	if err := n.Up(t.e.ctx); err != nil {
		return withHint(err, "kpnode testnet logs NODE --dir "+t.f.dir+" shows a node's log")
	}
	fmt.Fprintf(t.e.Out, "Testnet in %s is up (%s, topology %s):\n", t.f.dir, strings.Join(n.Spec().Participants, ","), n.Spec().Topology)
	return t.printMembers(n)
}

func (t *testnetCmd) create() (*testnet.Network, error) {
	ps, err := testnet.ParseParticipants(t.f.participants)
	if err != nil {
		return nil, &cliError{code: ExitUsage, err: err}
	}
	r, err := t.runner()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(t.f.dir, 0o700); err != nil {
		return nil, err
	}
	n, err := testnet.CreateBehindNAT(t.f.dir, ps, t.f.topology, t.f.nat, r)
	if err != nil {
		return nil, &cliError{code: ExitUsage, err: err}
	}
	return n, nil
}

func (t *testnetCmd) printMembers(n *testnet.Network) error {
	rows := [][]string{}
	for _, m := range n.Members() {
		state := "stopped"
		if n.Running(m.Code) {
			state = fmt.Sprintf("running (pid %d)", m.PID)
		}
		if slices.Contains(n.Spec().NAT, m.Code) {
			state += ", behind NAT" // reach
		}
		rows = append(rows, []string{m.Code, state, m.Dashboard(), "--home " + m.Home})
	}
	if err := table(t.e.Out, []string{"NODE", "STATE", "DASHBOARD AND API", "CLI"}, rows); err != nil {
		return err
	}
	if p := n.Partitioned(); p != nil {
		fmt.Fprintf(t.e.Out, "Partitioned: %s\n", groupsString(p))
	}
	return nil
}

func groupsString(groups [][]string) string {
	var parts []string
	for _, g := range groups {
		parts = append(parts, strings.Join(g, ","))
	}
	return strings.Join(parts, " | ")
}

func (t *testnetCmd) load() error {
	n, err := t.open()
	if err != nil {
		return err
	}
	last := time.Now()
	res, err := n.Load(t.e.ctx, testnet.LoadOptions{Days: t.f.days, Seed: t.f.seed, Anomalies: t.f.anomalies,
		Progress: func(done, total int) {
			if time.Since(last) > time.Second || done == total {
				fmt.Fprintf(t.e.Err, "\rpublished %d of %d records", done, total)
				last = time.Now()
			}
		}})
	fmt.Fprintln(t.e.Err)
	if err != nil {
		return err
	}
	fmt.Fprintf(t.e.Out, "Loaded %d days of trade (seed %d): %d records in %d requests, %s\n", t.f.days, t.f.seed, res.Items, res.Requests, res.Took.Round(time.Millisecond))
	for _, typ := range sortedKeys(res.ByType) {
		fmt.Fprintf(t.e.Out, "  %-22s %d\n", typ, res.ByType[typ])
	}
	fmt.Fprintf(t.e.Out, "Injected anomalies: %d expected findings, ground truth in %s\n", res.Expected, res.TruthFile)
	return nil
}

func (t *testnetCmd) chaos(args []string) error {
	if len(args) == 0 {
		return usageErrorf("testnet chaos needs stop, kill, start, restart, partition or heal")
	}
	n, err := t.open()
	if err != nil {
		return err
	}
	verb, codes := args[0], args[1:]
	if (verb != "heal") == (len(codes) == 0) {
		return usageErrorf("testnet chaos %s: wrong arguments (heal takes none, the others need nodes or groups)", verb)
	}
	switch verb {
	case "stop", "kill":
		err = n.Stop(verb == "kill", codes...)
	case "start":
		err = n.Start(t.e.ctx, codes...)
	case "restart":
		if err = n.Stop(false, codes...); err == nil {
			err = n.Start(t.e.ctx, codes...)
		}
	case "partition":
		err = n.Partition(t.e.ctx, testnet.ParseGroups(codes))
	case "heal":
		err = n.Heal(t.e.ctx)
	default:
		return usageErrorf("testnet chaos: unknown fault %q", verb)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(t.e.Out, "chaos %s: done\n", strings.TrimSpace(verb+" "+strings.Join(codes, " ")))
	return nil
}

func (t *testnetCmd) check() error {
	n, err := t.open()
	if err != nil {
		return err
	}
	truth, err := n.ReadTruth()
	if err != nil {
		return err
	}
	rep, err := n.Check(t.e.ctx, testnet.CheckOptions{Timeout: t.f.timeout, Truth: truth})
	if err != nil {
		return err
	}
	if t.f.asJSON {
		err = printJSON(t.e.Out, rep)
	} else {
		err = printCheck(t.e.Out, rep, truth != nil)
	}
	if err == nil && !rep.OK {
		return &cliError{code: ExitProblems, err: fmt.Errorf("testnet check failed: %d problem(s)", len(rep.Problems))}
	}
	return err
}

func printCheck(w io.Writer, rep *testnet.Report, truth bool) error {
	fmt.Fprintf(w, "Converged: %v (waited %s)\n", rep.Converged, rep.Waited.Round(time.Millisecond))
	rows := [][]string{}
	for _, nr := range rep.Nodes {
		rows = append(rows, []string{nr.Code, fmt.Sprint(nr.Head), fmt.Sprint(nr.Entries), fmt.Sprint(nr.Records), fmt.Sprint(nr.Findings)})
	}
	if err := table(w, []string{"NODE", "OWN HEAD", "ENTRIES VERIFIED", "RECORDS", "FINDINGS"}, rows); err != nil {
		return err
	}
	if rep.Findings != nil {
		fmt.Fprintf(w, "\nFindings against the ground truth, summed over the nodes:\n%s", rep.Findings)
	} else if !truth {
		fmt.Fprintln(w, "No ground truth (the testnet was not loaded): findings not judged.")
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(w, "PROBLEM:", p)
	}
	if rep.OK {
		fmt.Fprintln(w, "OK: every entry everywhere, every chain verified, no equivocation, findings, questionnaires and calendars as expected.")
	}
	return nil
}

func (t *testnetCmd) status() error {
	n, err := t.open()
	if err != nil {
		return err
	}
	if t.f.asJSON {
		return printJSON(t.e.Out, map[string]any{"dir": t.f.dir, "spec": n.Spec(), "members": n.Members(), "partition": n.Partitioned()})
	}
	fmt.Fprintf(t.e.Out, "Testnet in %s (topology %s)\n", t.f.dir, n.Spec().Topology)
	return t.printMembers(n)
}

func (t *testnetCmd) down() error {
	n, err := t.open()
	if err != nil {
		return err
	}
	if err := n.Down(); err != nil {
		return err
	}
	fmt.Fprintf(t.e.Out, "Stopped every node of the testnet in %s\n", t.f.dir)
	if t.f.purge {
		if err := os.RemoveAll(t.f.dir); err != nil {
			return err
		}
		fmt.Fprintf(t.e.Out, "Removed %s\n", t.f.dir)
	}
	return nil
}

func (t *testnetCmd) logs(args []string) error {
	if len(args) != 1 {
		return usageErrorf("testnet logs needs one NODE")
	}
	n, err := t.open()
	if err != nil {
		return err
	}
	path, err := n.LogPath(args[0])
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(b), "\n")
	if t.f.lines > 0 && len(lines) > t.f.lines+1 {
		lines = lines[len(lines)-t.f.lines-1:]
	}
	_, err = io.WriteString(t.e.Out, strings.Join(lines, ""))
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
