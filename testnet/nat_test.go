package testnet

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseNAT(t *testing.T) {
	ps := []string{"IN", "BE", "AE", "ZA"}
	full, _ := ParseTopology("full", ps)
	if nat, err := ParseNAT("ae, ZA", ps, full); err != nil || len(nat) != 2 || nat[0] != "AE" || nat[1] != "ZA" {
		t.Fatalf("AE,ZA in a full mesh: %v, %v", nat, err)
	}
	pairs, _ := ParseTopology("pairs:AE-ZA,IN-BE,BE-AE", ps)
	bad := map[string][]Link{
		"XX":          full,  // not a participant
		"AE,AE":       full,  // twice
		"IN,BE,AE,ZA": full,  // nobody with an address
		"AE,ZA":       pairs, // AE-ZA has no relay in common
	}
	for s, links := range bad {
		if _, err := ParseNAT(s, ps, links); err == nil {
			t.Errorf("%q: accepted", s)
		}
	}
}

// TestNetworkBehindNAT: AE and ZA behind NAT, BE with an address between
// them; trade and a notice from AE to ZA reach every audience member and
// every receipt comes back (check's delivery status), through BE's relay.
func TestNetworkBehindNAT(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three nodes and a load; skipped in -short mode")
	}
	ctx := context.Background()
	n, err := CreateBehindNAT(t.TempDir(), []string{"BE", "AE", "ZA"}, "full", "AE,ZA", &InProcessRunner{})
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
	if _, err := n.Load(ctx, LoadOptions{Days: 3, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	rep, err := n.Check(ctx, CheckOptions{Timeout: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("check: %s", strings.Join(rep.Problems, "\n"))
	}
}
