package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/protocol"
)

// TestRelayNotChargedForItsSource: the honest partner BE relays to IN the
// feeds of two authors it stores faithfully, whose entries are validly
// signed but bad in every way their author can make them: records that
// fail their validator, and a fork of a position IN already holds. IN
// refuses or keeps them as its rules say, and never charges BE, which
// only served what their authors signed (issue 13: an honest relay is
// never blamed for its source).
func TestRelayNotChargedForItsSource(t *testing.T) {
	in, be, forker := hostileSetup(t)
	forker.pinnedBy(t, be, "AE")
	invalid := newAttacker(t)
	invalid.pinnedBy(t, in, "AO")
	invalid.pinnedBy(t, be, "AO")
	toIN := []age.Recipient{in.id.Recipient()}
	aud := []string{"IN"}

	// AO: three entries whose records fail their validator.
	o := chainFrom(t, invalid, toIN, aud, "o", 3, protocol.Hash{})
	// AE: 1, 2, 3 to BE; 1 and a fork of 2 to IN.
	e := chainFrom(t, forker, toIN, aud, "e", 3, protocol.Hash{})
	fork := forker.entry(t, 2, e[0].Hash(), aud, toIN, "fork")
	d := countersOf(in)
	store := func(n *Node, xs ...*protocol.Entry) {
		t.Helper()
		for _, x := range xs {
			if r := n.pipe.Ingest(x.Bytes()); r.Outcome != ingest.Stored {
				t.Fatalf("%s: #%d: outcome %v (%s): %v", n.cfg.Participant, x.Seq, r.Outcome, r.Reason, r.Err)
			}
		}
	}
	pull := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return in.ex.SyncSession(ctx, be.ex.Host().ID())
	}
	store(be, o...)
	eventually(t, 30*time.Second, "IN holds AO's feed from BE", func() error {
		pull()
		if h := headOf(t, in, invalid.id.Public()); h != 3 {
			return fmt.Errorf("head %d, want 3", h)
		}
		return nil
	})
	store(be, e...)
	store(in, e[0], fork)
	if err := pull(); err == nil {
		t.Error("IN took AE's entry 3, chained to the entry 2 it does not hold")
	}
	if d.of("invalid_records") < 3 {
		t.Errorf("invalid_records grew by %d, want 3: the records did not fail their validator", d.of("invalid_records"))
	}
	if d.of("rejected_equivocation") == 0 {
		t.Error("the fork was not refused as equivocation")
	}
	headIs(t, in, forker, 2)
	if r := in.ex.Abuse(be.ex.Host().ID()); r.Violations != 0 || r.Stalls != 0 || r.Points != 0 {
		t.Errorf("the honest relay is charged: %+v", r)
	}
}

// chainFrom returns n entries of atk's feed after prev, sealed to rcpts.
func chainFrom(t testing.TB, atk *attacker, rcpts []age.Recipient, aud []string, salt string, n int, prev protocol.Hash) []*protocol.Entry {
	t.Helper()
	var out []*protocol.Entry
	for seq := range uint64(n) {
		x := atk.entry(t, seq+1, prev, aud, rcpts, salt)
		out, prev = append(out, x), x.Hash()
	}
	return out
}
