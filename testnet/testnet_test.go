package testnet

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/testnet/trade"
	"go.uber.org/goleak"
)

// TestMain fails the package if goroutines outlive its tests. On a loaded
// machine a closed host's dials can take a few seconds to return, longer
// than goleak's own retries, so leaks are looked for again until
// leakPatience has passed: a goroutine that never ends is still reported.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := findLeaks(leakPatience); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

const leakPatience = 20 * time.Second

// findLeaks is goleak.Find, asked again until it finds nothing or patience
// runs out.
func findLeaks(patience time.Duration) error {
	deadline := time.Now().Add(patience)
	for {
		err := goleak.Find(goleakOptions...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// goleakOptions ignores the goroutines libraries keep for the life of the
// process.
var goleakOptions = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/ipfs/go-log/v2/writer.(*MirrorWriter).logRoutine"),
	goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"),
	goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"),
	goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*defaultPolicy[...]).processItems"),
	goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*Cache[...]).processItems"),
	goleak.IgnoreAnyFunction("github.com/libp2p/go-libp2p/p2p/transport/quicreuse.(*reuse).gc"),
}

func TestParseTopology(t *testing.T) {
	ps := []string{"IN", "BE", "AE"}
	cases := []struct {
		in   string
		want []Link
		err  string
	}{
		{"full", []Link{{"AE", "BE"}, {"AE", "IN"}, {"BE", "IN"}}, ""},
		{"star:be", []Link{{"AE", "BE"}, {"BE", "IN"}}, ""},
		{"pairs:IN-BE,BE-AE", []Link{{"AE", "BE"}, {"BE", "IN"}}, ""},
		{"pairs:IN-BE", nil, "leaves AE without a partner"},
		{"pairs:IN-IN,BE-AE", nil, "two different participants"},
		{"star:ZA", nil, "not one of the participants"},
		{"ring", nil, "want full, star:CODE, pairs:A-B,C-D or trade"},
	}
	for _, c := range cases {
		got, err := ParseTopology(c.in, ps)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one mentioning %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v %v, want %v", c.in, got, err, c.want)
		}
	}
	if _, err := ParseParticipants("IN,XX"); err == nil || !strings.Contains(err.Error(), `"XX"`) {
		t.Errorf("unknown participant: %v", err)
	}
	if _, err := ParseParticipants("IN,in"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate participant: %v", err)
	}
}

// TestInProcessNetwork runs three nodes in this process (a star around
// BE), loads ten days of trade with anomalies, partitions AE away while
// IN publishes to it through no path, restarts a node, heals, and checks.
func TestInProcessNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three nodes and a load; skipped in -short mode")
	}
	ctx := context.Background()
	r := &InProcessRunner{}
	n, err := Create(t.TempDir(), []string{"IN", "BE", "AE"}, "full", r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Down(); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	if err := n.Up(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := n.Load(ctx, LoadOptions{Days: 10, Seed: 3, Anomalies: 12})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load: %d records in %d requests, %d expected findings", res.Items, res.Requests, res.Expected)
	if err := n.Partition(ctx, [][]string{{"AE"}}); err != nil {
		t.Fatal(err)
	}
	notice, err := os.ReadFile("../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Publish(ctx, "IN", "notice", notice, []string{"BE", "AE"}); err != nil {
		t.Fatal(err)
	}
	rep, err := n.Check(ctx, CheckOptions{Timeout: 3 * time.Second})
	if err != nil || rep.OK || !strings.Contains(strings.Join(rep.Problems, "\n"), "AE holds IN's feed") {
		t.Fatalf("check across a partition: %v %+v, want AE lagging IN", err, rep)
	}
	if err := n.Stop(false, "BE"); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx, "BE"); err != nil {
		t.Fatal(err)
	}
	if err := n.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	truth, err := n.ReadTruth()
	if err != nil {
		t.Fatal(err)
	}
	rep, err = n.Check(ctx, CheckOptions{Timeout: 2 * time.Minute, Truth: truth})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Findings == nil || rep.Findings.Total().Expected == 0 {
		t.Fatalf("check: %s\n%v", strings.Join(rep.Problems, "\n"), rep.Findings)
	}
	// The unanswered questionnaires are judged: a truth that says one was
	// answered fails the check, naming the asker and the partner.
	if len(truth.Questions) == 0 {
		t.Fatal("the truth holds no questionnaires")
	}
	q := &truth.Questions[0]
	q.Answered, q.Overdue = 1, 0
	rep, err = n.Check(ctx, CheckOptions{Timeout: 2 * time.Minute, Truth: truth})
	want := fmt.Sprintf("%s's questionnaires to %s: asked 1, answered 0, overdue 1; want 1, 1, 0", q.Asker, q.Partner)
	if err != nil || rep.OK || !slices.Contains(rep.Problems, want) {
		t.Fatalf("check with a wrong questionnaire truth: %v %+v, want the problem %q", err, rep, want)
	}
	q.Answered, q.Overdue = 0, 1
	checkCalendarJudged(ctx, t, n, truth)
}

// checkCalendarJudged checks that Check compares every calendar with the
// truth both ways: a late period the truth does not name is a problem (an
// invented one), and so is a missing period the node does not show (a
// missed one).
func checkCalendarJudged(ctx context.Context, t *testing.T, n *Network, truth *trade.Truth) {
	t.Helper()
	i := slices.IndexFunc(truth.Calendar, func(c trade.ExpectedCalendar) bool { return len(c.Late) > 0 })
	if i < 0 {
		t.Fatalf("the truth holds no late submission: %+v", truth.Calendar)
	}
	c := &truth.Calendar[i]
	c.Late = c.Late[1:]
	ghost := trade.ExpectedCalendar{Observer: c.Observer, Party: c.Observer, Obligation: "production_statistics", Missing: []string{"2001-H1"}}
	truth.Calendar = append(truth.Calendar, ghost)
	rep, err := n.Check(ctx, CheckOptions{Timeout: 2 * time.Minute, Truth: truth})
	if err != nil || rep.OK {
		t.Fatalf("check with a wrong calendar truth: %v %+v, want problems", err, rep)
	}
	all := strings.Join(rep.Problems, "\n")
	for _, want := range []string{
		fmt.Sprintf("%s's calendar of %s's %s: late [", c.Observer, c.Party, c.Obligation),
		fmt.Sprintf("%s's calendar of %s's production_statistics: late [], missing []; want late [], missing [2001-H1]", c.Observer, c.Observer),
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not say %q:\n%s", want, all)
		}
	}
}
