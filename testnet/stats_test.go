package testnet

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestStatCPU(t *testing.T) {
	// A command name with spaces and a ')' of its own: fields count from
	// the last ')'. utime 250 ticks, stime 50: 3 s.
	line := []byte("4242 (kp node) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1000 2000000 3000 18446744073709551615")
	d, err := statCPU(line)
	if err != nil || d != 3*time.Second {
		t.Fatalf("statCPU = %v, %v; want 3s", d, err)
	}
	for _, bad := range []string{
		"4242 kpnode S 1 2 3",                        // no parentheses
		"4242 (kpnode) S 1 2 3 4 5 6 7 8 9 10",       // too few fields
		"4242 (kpnode) S 1 2 3 4 5 6 7 8 9 10 -5 50", // negative utime
		"4242 (kpnode) S 1 2 3 4 5 6 7 8 9 10 x 50",  // not a number
	} {
		if d, err := statCPU([]byte(bad)); err == nil {
			t.Errorf("statCPU(%q) = %v, no error", bad, d)
		}
	}
}

func TestStatusFields(t *testing.T) {
	text := []byte("Name:\tkpnode\nVmRSS:\t  51200 kB\nRssAnon:\t   20480 kB\nRssFile:\t   30720 kB\nThreads:\t9\n")
	v, err := statusFields("status", text, []string{"RssFile", "RssAnon", "Threads"})
	if err != nil || v[0] != 30720 || v[1] != 20480 || v[2] != 9 {
		t.Fatalf("statusFields = %v, %v", v, err)
	}
	if _, err := statusFields("status", text, []string{"Pss"}); err == nil || !strings.Contains(err.Error(), "no Pss line") {
		t.Errorf("missing field: %v", err)
	}
	if _, err := statusFields("status", []byte("VmRSS:\tlots kB\n"), []string{"VmRSS"}); err == nil {
		t.Errorf("a size that is no number: no error")
	}
}

func TestMetricSum(t *testing.T) {
	text := []byte(`# HELP libp2p_rcmgr_connections Number of Connections
libp2p_rcmgr_connections{dir="inbound",scope="system"} 10
libp2p_rcmgr_connections{dir="inbound",scope="transient"} 2
libp2p_rcmgr_connections{dir="outbound",scope="system"} 35
libp2p_rcmgr_connections_total 99
go_goroutines 373
kpnode_partners_connected 35
`)
	var s NodeStats
	if err := metricStats(text, &s); err != nil {
		t.Fatal(err)
	}
	if s.Connections != 45 || s.Goroutines != 373 || s.Partners != 35 {
		t.Errorf("metricStats = %+v; want 45 connections (system scope only), 373 goroutines, 35 partners", s)
	}
	if _, err := metricSum(text, "libp2p_rcmgr_streams", `scope="system"`); err == nil {
		t.Errorf("absent metric: no error")
	}
	if _, err := metricSum([]byte(`m{scope="system"} x`), "m", `scope="system"`); err == nil {
		t.Errorf("a value that is no number: no error")
	}
}

// TestNetworkStats brings up two nodes in this process and reads their
// stats: the in-process runner gives each member this process's PID, so
// the test checks the network side (metrics, connections, totals) and
// that a stopped member is listed as not running.
func TestNetworkStats(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skip("no /proc/PID/smaps_rollup")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := Create(t.TempDir(), []string{"IN", "BE", "AE"}, "pairs:IN-BE,BE-AE", &InProcessRunner{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Down() })
	if err := n.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range n.Members() {
		m.PID = os.Getpid() // in-process members run in this process
	}
	if err := n.Stop(false, "AE"); err != nil {
		t.Fatal(err)
	}
	if err := n.waitPartners(ctx, map[string]int{"IN": 1, "BE": 1}); err != nil {
		t.Fatal(err)
	}
	st, err := n.Stats(ctx, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]NodeStats{}
	for _, s := range st.Nodes {
		byCode[s.Code] = s
	}
	for _, code := range []string{"IN", "BE"} {
		s := byCode[code]
		if s.Unreadable != "" || s.Partners != 1 || s.Connections < 1 || s.Goroutines < 10 {
			t.Errorf("%s: %+v; want 1 partner connected, a connection, goroutines", code, s)
		}
	}
	if byCode["AE"].Unreadable != "not running" {
		t.Errorf("stopped AE: %+v", byCode["AE"])
	}
	tot := st.Totals()
	if tot.Nodes != 2 || tot.Connections != byCode["IN"].Connections+byCode["BE"].Connections || tot.Largest.Code == "" {
		t.Errorf("totals %+v", tot)
	}
}

// waitPartners waits until each named member has want partners
// connected, or ctx ends.
func (n *Network) waitPartners(ctx context.Context, want map[string]int) error {
	for {
		ok := true
		for code, k := range want {
			m, err := n.Member(code)
			if err != nil {
				return err
			}
			var metrics []byte
			if err := n.call(ctx, m, "GET", "/metrics", nil, &metrics); err != nil {
				return err
			}
			if v, err := metricValue(metrics, "kpnode_partners_connected"); err != nil || int(v) != k {
				ok = false
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
