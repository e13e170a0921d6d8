package testnet

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// series returns samples of one member every 10 s for a run of end
// seconds, with every figure given by f.
func series(code string, end float64, f func(at float64) float64) []Sample {
	var out []Sample
	for at := 0.0; at <= end; at += 10 {
		v := f(at)
		out = append(out, Sample{At: at, Code: code, Up: true, RSSMB: v, Goroutines: v, OpenFiles: v, BadgerMB: v, APIms: v})
	}
	return out
}

func TestGrowthsBound(t *testing.T) {
	const end = 3600.0
	flat := series("IN", end, func(at float64) float64 { return 50 + float64(int(at)%70)/10 }) // noise, no trend
	leak := series("BE", end, func(at float64) float64 { return 50 + at/30 })                  // +2 a minute
	down := append(series("AE", end, func(float64) float64 { return 40 }), Sample{At: 2000, Code: "AE"})
	samples := append(append(flat, leak...), down...)
	for _, g := range Growths(samples, []string{"IN", "BE", "AE"}, end/3, end, 0) {
		switch g.Code {
		case "BE":
			if g.OK() || g.Rise < 79 || g.Rise > 81 {
				t.Errorf("a leak of 80 over the window: %v, want a rise of 80 that fails", g)
			}
		default:
			if !g.OK() {
				t.Errorf("flat series: %v, want it within bounds", g)
			}
		}
	}
	// The store may grow with the records acknowledged meanwhile.
	for _, g := range Growths(leak, []string{"BE"}, end/3, end, 4000) {
		if ok := g.OK(); ok != (g.Metric == "badger") {
			t.Errorf("%v: OK %v with 4000 records acknowledged, want only the store within bounds", g, ok)
		}
	}
}

func TestMetricValue(t *testing.T) {
	text := []byte("# HELP go_goroutines x\ngo_goroutines_total 9\ngo_goroutines 42\n")
	if v, err := metricValue(text, "go_goroutines"); err != nil || v != 42 {
		t.Errorf("go_goroutines: %v %v, want 42", v, err)
	}
	if _, err := metricValue([]byte("go_goroutines x\n"), "go_goroutines"); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("bad value: %v, want an error naming it", err)
	}
	if _, err := metricValue(nil, "go_goroutines"); err == nil {
		t.Errorf("missing metric: no error")
	}
}

func TestProcFigures(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	rss, err := procRSSMB(os.Getpid())
	if err != nil || rss < 1 || rss > 4096 {
		t.Errorf("this process's RSS: %v MiB %v", rss, err)
	}
	if fds, err := procOpenFiles(os.Getpid()); err != nil || fds < 3 {
		t.Errorf("this process's open files: %v %v", fds, err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), bytes.Repeat([]byte{1}, 1<<20), 0o644)
	sparse, _ := os.Create(filepath.Join(dir, "sparse"))
	sparse.Truncate(64 << 20) // preallocated, as Badger does: takes no blocks
	sparse.Close()
	if mb, err := dirMB(dir); err != nil || mb != 1 {
		t.Errorf("dirMB of 1 MiB: %v %v", mb, err)
	}
}

func TestSoakSVG(t *testing.T) {
	samples := append(series("IN", 100, func(at float64) float64 { return at }), Sample{At: 50, Code: "BE"})
	var buf bytes.Buffer
	if err := WriteSoakSVG(&buf, samples, []string{"IN", "BE"}); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	lines := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("the SVG is not well-formed XML: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	if lines != len(SoakMetrics) {
		t.Errorf("%d polylines, want one per metric for the member that was up", lines)
	}
}

// TestSoakLostRecords checks the end check of a soak: an acknowledged
// entry held everywhere is not lost, one missing at a member is.
func TestSoakLostRecords(t *testing.T) {
	ctx := context.Background()
	n, err := Create(t.TempDir(), []string{"IN", "BE"}, "full", &InProcessRunner{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Down() })
	if err := n.Up(ctx); err != nil {
		t.Fatal(err)
	}
	notice, err := os.ReadFile("../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	seq, err := n.publishSeq(ctx, "IN", "notice", notice, []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	res := &SoakResult{}
	acks := []ack{{author: "IN", seq: seq, to: []string{"BE"}}, {author: "IN", seq: seq + 1, to: []string{"BE"}}}
	if err := n.soakFinish(ctx, acks, res); err != nil {
		t.Fatal(err)
	}
	want := []string{"IN lacks IN's acknowledged entry " + strconv.FormatUint(seq+1, 10), "BE lacks IN's acknowledged entry " + strconv.FormatUint(seq+1, 10)}
	if strings.Join(res.Lost, "\n") != strings.Join(want, "\n") || len(res.Problems) > 0 {
		t.Errorf("lost %q, problems %q; want %q and no problem", res.Lost, res.Problems, want)
	}
}

// TestSoak is make soak: SOAK_MINUTES of five kpnode processes
// (SOAK_BINARY) under trade and faults. It runs only when SOAK_MINUTES is
// set.
func TestSoak(t *testing.T) {
	minutes, err := strconv.ParseFloat(os.Getenv("SOAK_MINUTES"), 64)
	if err != nil || minutes <= 0 {
		t.Skip("set SOAK_MINUTES (and SOAK_BINARY, SOAK_OUT) to soak: make soak")
	}
	bin, out := os.Getenv("SOAK_BINARY"), os.Getenv("SOAK_OUT")
	if bin == "" || out == "" {
		t.Fatal("SOAK_BINARY (a built kpnode) and SOAK_OUT (a directory) are required")
	}
	res, err := RunSoak(context.Background(), SoakOptions{Dir: t.TempDir(), Runner: &ProcessRunner{Binary: bin},
		Duration: time.Duration(minutes * float64(time.Minute)), Out: out, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("soak: %d records acknowledged, %d refused, %d kills, %d partitions healed, %d samples; %s and %s",
		res.Acked, res.Refused, res.Kills, res.Heals, len(res.Samples), filepath.Join(out, "soak.csv"), filepath.Join(out, "soak.svg"))
	for _, g := range res.Growths {
		t.Log(g)
		if !g.OK() {
			t.Errorf("grows without bound: %v", g)
		}
	}
	for _, l := range res.Lost {
		t.Errorf("lost: %s", l)
	}
	for _, p := range res.Problems {
		t.Errorf("end check: %s", p)
	}
}

// TestGrowthsSpike checks that one spike late in the run (a loaded
// machine's latency) is not taken for growth, while a steady leak is.
func TestGrowthsSpike(t *testing.T) {
	const end = 180.0
	spike := series("AE", end, func(at float64) float64 {
		if at == 170 {
			return 300
		}
		return 2
	})
	for _, g := range Growths(spike, []string{"AE"}, end/3, end, 0) {
		if !g.OK() {
			t.Errorf("one spike: %v, want it within bounds", g)
		}
	}
	leak := series("AE", end, func(at float64) float64 { return 2 + at/2 })
	for _, g := range Growths(leak, []string{"AE"}, end/3, end, 0) {
		if g.OK() {
			t.Errorf("a leak of 60 over the window: %v, want it to fail", g)
		}
	}
}
