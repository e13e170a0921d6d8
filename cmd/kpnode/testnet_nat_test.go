package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTestnetNAT runs `kpnode testnet up --nat AE,ZA` with real daemons:
// AE and ZA listen on nothing and reach each other only through BE's
// relay, and `testnet check` passes (every entry and receipt delivered).
func TestTestnetNAT(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three real daemons; skipped in -short mode")
	}
	bin, err := exec.LookPath("kpnode")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kp := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"testnet"}, append(args, "--dir", dir)...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("kpnode testnet %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { exec.Command(bin, "testnet", "down", "--dir", dir).Run() })
	out := kp("up", "--participants", "BE,AE,ZA", "--nat", "AE,ZA")
	if strings.Count(out, "behind NAT") != 2 {
		t.Fatalf("up does not show AE and ZA behind NAT:\n%s", out)
	}
	kp("load", "--days", "3", "--seed", "5", "--anomalies", "0")
	kp("check", "--timeout", "90s")
	kp("down")
}
