package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/protocol"
)

// partnerLine returns the status line of partner code on n.
func partnerLine(t testing.TB, n *Node, code string) PartnerStatus {
	t.Helper()
	s, err := n.Status()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Partners {
		if p.Code == code {
			return p
		}
	}
	t.Fatalf("%s is not a partner of %s", code, n.Participant())
	return PartnerStatus{}
}

// graylisted waits until n has graylisted partner code.
func graylisted(t testing.TB, n *Node, code string) PartnerStatus {
	t.Helper()
	var line PartnerStatus
	eventually(t, 30*time.Second, n.Participant()+" graylists "+code, func() error {
		line = partnerLine(t, n, code)
		if line.PeerScore.Score >= exchange.GraylistThreshold || line.CoolOffUntil.IsZero() || line.Graylisted == 0 {
			return fmt.Errorf("%s: score %+v, cool-off until %v, graylisted %d", code, line.PeerScore, line.CoolOffUntil, line.Graylisted)
		}
		return nil
	})
	return line
}

// scoreRounds waits until n has read the peer scores k more times.
func scoreRounds(t testing.TB, n *Node, k uint64) {
	t.Helper()
	want := n.ex.ScoreRounds() + k
	eventually(t, 20*time.Second, "score inspections", func() error {
		if got := n.ex.ScoreRounds(); got < want {
			return fmt.Errorf("%d inspections, want %d", got, want)
		}
		return nil
	})
}

func hasEvent(n *Node, kind, partner string) bool {
	evs, _, _ := n.Events(0)
	for _, e := range evs {
		if e.Kind == kind && e.Fields["partner"] == partner {
			return true
		}
	}
	return false
}

func TestPeerScoreGraylistsForger(t *testing.T) {
	in, be, atk := hostileSetup(t)
	ae := atk.id.Public()
	atk.reaches(t, in, ae)
	stillServed(t, in, be, 1)
	base := atk.entry(t, 1, protocol.Hash{}, []string{"IN"}, []age.Recipient{in.id.Recipient()}, "forged")
	for i := range 20 {
		b := bytes.Clone(base.Bytes())
		binary.BigEndian.PutUint32(b[len(b)-protocol.SignatureSize-4:], uint32(i)) // signed bytes changed
		atk.publish(t, ae, b)
	}
	line := graylisted(t, in, "AE")
	if line.PeerScore.InvalidMessages < 10 {
		t.Fatalf("graylisted with %.1f invalid messages counted, want >= 10", line.PeerScore.InvalidMessages)
	}
	if !hasEvent(in, "partner_graylisted", "AE") {
		t.Fatal("no partner_graylisted event for AE")
	}
	eventually(t, 20*time.Second, "AE disconnected", func() error {
		if c := in.ex.Host().Network().ConnsToPeer(atk.h.ID()); len(c) > 0 {
			return fmt.Errorf("%d connections to AE", len(c))
		}
		return nil
	})

	// AE's further messages are not processed: it cannot get back in
	// during the cool-off, so even a valid entry of its feed is not stored.
	atk.connect(in) // may report success: see LIBRARIES.md §1.2
	d := countersOf(in)
	atk.topic(t, ae).Publish(context.Background(), base.Bytes())
	stillServed(t, in, be, 2)
	headIs(t, in, atk, 0)
	if r := d.rejections(); r != 0 {
		t.Fatalf("%d entries of a graylisted partner were validated and rejected", r)
	}
	if len(in.ex.Host().Network().ConnsToPeer(atk.h.ID())) > 0 {
		t.Fatal("a graylisted partner reconnected during its cool-off")
	}
	honest := partnerLine(t, in, "BE")
	if honest.PeerScore.Score < 0 || honest.PeerScore.InvalidMessages != 0 || honest.Graylisted != 0 {
		t.Fatalf("the honest partner was penalised: %+v, graylisted %d", honest.PeerScore, honest.Graylisted)
	}
	if _, err := in.roster.Pinned("AE"); err != nil {
		t.Fatalf("graylisting unpinned AE: %v", err)
	}
}

// TestPeerScoreSparesLateRelay: a partner that relays what the node
// already holds, an entry ahead of the node's head, or another author's
// fork it got first, is doing what honest late peers do: ignored, never
// penalised.
func TestPeerScoreSparesLateRelay(t *testing.T) {
	in, be, relay := hostileSetup(t)
	bk := be.id.Public()
	relay.reaches(t, in, bk)
	stillServed(t, in, be, 3)
	var relayed [][]byte
	for seq := uint64(1); seq <= 3; seq++ {
		e, err := in.st.Entry(bk, seq)
		if err != nil {
			t.Fatal(err)
		}
		relayed = append(relayed, e.Bytes())
	}
	first, _ := in.st.Entry(bk, 1)
	h, _ := in.st.Head(bk)
	relayed = append(relayed,
		ownEntry(t, be, h.Seq+10, randomHash(), "ahead").Bytes(), // ahead of IN's head
		ownEntry(t, be, 2, first.Hash(), "fork").Bytes())         // BE's fork, relayed in good faith
	d := countersOf(in)
	for _, b := range relayed {
		relay.publish(t, bk, b)
	}
	d.grows(t, "rejected_equivocation", 1) // the fork is kept as evidence
	stillServed(t, in, be, 1)              // and the rest had time to be validated
	scoreRounds(t, in, 2)
	line := partnerLine(t, in, "AE")
	if line.PeerScore.InvalidMessages != 0 || line.PeerScore.Score < 0 || line.Graylisted != 0 {
		t.Fatalf("a late relay was penalised: %+v", line.PeerScore)
	}
	if r := d.rejections() - d.of("rejected_equivocation"); r != 0 {
		t.Fatalf("stale and early entries counted as %d rejections", r)
	}
}

func TestSyncAbuseGraylists(t *testing.T) {
	in, be, atk := hostileSetup(t)
	for range 12 {
		s, err := atk.stream(in)
		if err != nil {
			break // graylisted already: refused
		}
		s.Write([]byte{0, 0, 0, 3, 9, 9, 9}) // an unknown frame type
		s.CloseWrite()
		drainStream(t, s, 15*time.Second)
		s.Reset()
	}
	line := graylisted(t, in, "AE")
	if line.PeerScore.SyncViolations < 10 || line.PeerScore.SyncAbuse < 900 {
		t.Fatalf("graylisted with %+v, want >= 10 violations", line.PeerScore)
	}
	stillServed(t, in, be, 1)
	if s := partnerLine(t, in, "BE"); s.PeerScore.SyncAbuse != 0 || s.PeerScore.Score < 0 {
		t.Fatalf("the honest partner was charged: %+v", s.PeerScore)
	}
}
