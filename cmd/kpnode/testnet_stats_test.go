package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestTestnetStats runs `kpnode testnet stats` against two real daemons:
// each is read from /proc and its /metrics (memory, its one partner, a
// connection, CPU over the window), and a stopped node is listed as not
// running rather than failing the command.
func TestTestnetStats(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two real daemons; skipped in -short mode")
	}
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skip("no /proc/PID/smaps_rollup")
	}
	bin, err := exec.LookPath("kpnode")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kp := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"testnet"}, append(args, "--dir", dir)...)...).Output()
		if err != nil {
			t.Fatalf("kpnode testnet %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { exec.Command(bin, "testnet", "down", "--dir", dir).Run() })
	kp("up", "--participants", "IN,BE")
	var st struct {
		Nodes []struct {
			Code       string  `json:"code"`
			PSS        float64 `json:"pss_mib"`
			Anon       float64 `json:"rss_anon_mib"`
			Partners   int     `json:"partners"`
			Conns      int     `json:"connections"`
			CPU        float64 `json:"cpu_pct"`
			Unreadable string  `json:"unreadable"`
		} `json:"nodes"`
	}
	// The partners connect a moment after up: bounded polling.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := json.Unmarshal([]byte(kp("stats", "--window", "200ms", "--json")), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Nodes) == 2 && st.Nodes[0].Partners == 1 && st.Nodes[1].Partners == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, n := range st.Nodes {
		if n.Unreadable != "" || n.PSS < 1 || n.Anon < 1 || n.Partners != 1 || n.Conns < 1 || n.CPU < 0 {
			t.Errorf("%s: %+v; want memory, 1 partner, a connection", n.Code, n)
		}
	}
	kp("chaos", "stop", "BE")
	out := kp("stats", "--window", "0")
	if !strings.Contains(out, "not running") || !strings.Contains(out, "Resident:") || !strings.Contains(out, "largest IN") {
		t.Errorf("stats with BE stopped:\n%s", out)
	}
}
