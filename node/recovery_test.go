package node

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
)

// restoreKeys stops f and starts it again with the same identity on a
// fresh store flagged as recovering, as `kpnode init --from-key` does.
func restoreKeys(t *testing.T, f *fixture) {
	t.Helper()
	f.stop()
	f.dir = t.TempDir()
	st, err := store.Open(store.Options{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkRecovering("keys restored into a fresh store"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	f.start()
}

func TestRestoredKeyCannotForkItsFeed(t *testing.T) {
	in := newFixture(t, "IN")
	in.start()
	be, ae := testNode(t, "BE"), testNode(t, "AE")
	for _, p := range []*Node{be, ae} {
		pin(t, p, in.n)
		pin(t, in.n, p)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := in.n.Publish(ctx, "notice", notice(t), []string{"all"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*Node{be, ae} {
		eventually(t, 30*time.Second, p.Participant()+" holds IN's feed", func() error { return holds(p, "IN", 3) })
	}

	restoreKeys(t, in)
	_, err := in.n.Publish(ctx, "notice", notice(t), []string{"all"})
	if !errors.Is(err, ErrOwnHeadUnconfirmed) {
		t.Fatalf("publish on a restored key before learning its head: %v, want ErrOwnHeadUnconfirmed", err)
	}
	if st, _ := in.n.Status(); !st.Recovery.Recovering {
		t.Fatalf("status does not show recovery: %+v", st.Recovery)
	}
	for _, p := range []*Node{be, ae} {
		pin(t, p, in.n) // the partners learn the restored node's new addresses
		pin(t, in.n, p)
	}
	eventually(t, 30*time.Second, "IN learns its head from its partners", func() error {
		if st := in.n.RecoveryStatus(); st.Recovering {
			return fmt.Errorf("still recovering: %+v", st)
		}
		return nil
	})
	own, err := in.n.Feed("IN", 1, 0)
	if err != nil || len(own) != 3 {
		t.Fatalf("own feed pulled back: %d entries, %v; want 3", len(own), err)
	}
	for _, e := range own {
		if len(e.Record) == 0 {
			t.Fatalf("own entry %d pulled back without its record: the node cannot read its history", e.Seq)
		}
	}
	p, err := in.n.Publish(ctx, "notice", notice(t), []string{"all"})
	if err != nil || p.Seq != 4 {
		t.Fatalf("first entry after recovery: seq %d, %v; want 4", p.Seq, err)
	}
	for _, r := range []*Node{be, ae} {
		eventually(t, 30*time.Second, r.Participant()+" takes IN's entry 4", func() error { return holds(r, "IN", 4) })
		if st, _ := r.Status(); len(st.Equivocations) != 0 || st.Counters["rejected_equivocation"] != 0 {
			t.Fatalf("%s saw a fork: %+v", r.Participant(), st.Equivocations)
		}
	}
	assertAudit(t, in.n, store.AuditRecoveryEnd)
}

func TestRecoverForce(t *testing.T) {
	in := newFixture(t, "IN")
	in.start()
	restoreKeys(t, in)
	if _, err := in.n.Publish(context.Background(), "notice", notice(t), []string{"all"}); !errors.Is(err, ErrOwnHeadUnconfirmed) {
		t.Fatalf("publish while recovering: %v", err)
	}
	st, err := in.n.ForceRecovered("no partner holds our feed yet")
	if err != nil || st.Recovering {
		t.Fatalf("force: %+v, %v", st, err)
	}
	if _, ok, _ := in.st.Recovering(); ok {
		t.Fatal("the store is still flagged after force")
	}
	assertAudit(t, in.n, AuditRecoveryForce)
}

// assertAudit checks that the audit log holds action.
func assertAudit(t *testing.T, n *Node, action string) {
	t.Helper()
	recs, err := n.AuditLog(100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Action == action {
			return
		}
	}
	t.Fatalf("audit log lacks %s", action)
}

func TestRecoveryWaitsForMissingPartners(t *testing.T) {
	in := newFixture(t, "IN")
	in.start()
	be, ae := testNode(t, "BE"), testNode(t, "AE")
	for _, p := range []*Node{be, ae} {
		pin(t, p, in.n)
		pin(t, in.n, p)
	}
	ctx := context.Background()
	for range 2 {
		if _, err := in.n.Publish(ctx, "notice", notice(t), []string{"all"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "BE holds IN", func() error { return holds(be, "IN", 2) })
	aeCard, err := ae.Card()
	if err != nil {
		t.Fatal(err)
	}
	ae.Close() // AE is down while IN recovers

	restoreKeys(t, in)
	in.n.own.SetRecoveryWait(3 * time.Second)
	pin(t, be, in.n)
	pin(t, in.n, be)
	if _, err := in.n.AddPartner(aeCard.Bytes()); err != nil {
		t.Fatal(err)
	}
	var st RecoveryStatus
	eventually(t, 30*time.Second, "BE reports IN's head", func() error {
		if st = in.n.RecoveryStatus(); st.Reported["BE"] != 2 || st.OwnHead != 2 {
			return fmt.Errorf("%+v", st)
		}
		return nil
	})
	if time.Now().Before(st.WaitUntil) && (!st.Recovering || len(st.Missing) != 1 || st.Missing[0] != "AE") {
		t.Fatalf("recovery ended before AE answered or the wait passed: %+v", st)
	}
	eventually(t, 30*time.Second, "recovery ends once the wait for AE passes", func() error {
		in.n.ex.TriggerAll()
		if st := in.n.RecoveryStatus(); st.Recovering {
			return fmt.Errorf("%+v", st)
		}
		return nil
	})
	if p, err := in.n.Publish(ctx, "notice", notice(t), []string{"BE"}); err != nil || p.Seq != 3 {
		t.Fatalf("publish after recovery: seq %d, %v; want 3", p.Seq, err)
	}
}

// TestRecoveryRefutesFalseOwnHead: while a node recovers its feed, a
// pinned partner reports holding it up to seq 2^40 (a validly signed
// receipt with a random hash) and serves none of it. Its report is
// dropped once a session shows it (charged as a violation), and the node
// ends recovery on its honest partner's report after the wait, instead
// of refusing appends for ever.
func TestRecoveryRefutesFalseOwnHead(t *testing.T) {
	in := newFixture(t, "IN")
	in.start()
	be := testNode(t, "BE")
	pin(t, be, in.n)
	pin(t, in.n, be)
	for range 2 {
		if _, err := in.n.Publish(context.Background(), "notice", notice(t), []string{"BE"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "BE holds IN", func() error { return holds(be, "IN", 2) })

	restoreKeys(t, in)
	in.n.own.SetRecoveryWait(3 * time.Second)
	atk := newAttacker(t)
	lie := atk.receipt(t, in.id.Public(), 1<<40, randomHash(), time.Now())
	atk.setServe(func(s network.Stream) { serveHello(s, &protocol.Hello{Receipts: []*protocol.Receipt{lie}}, nil) })
	d := countersOf(in.n)
	atk.pinnedBy(t, in.n, "AE")
	pin(t, be, in.n)
	pin(t, in.n, be)
	eventually(t, 30*time.Second, "the attacker's report is refuted", func() error {
		in.n.ex.Trigger(atk.h.ID())
		if got := d.of("head_claims_refuted"); got == 0 {
			return fmt.Errorf("refuted %d, recovery %+v", got, in.n.RecoveryStatus())
		}
		return nil
	})
	if v := in.n.ex.Abuse(atk.h.ID()).Violations; v == 0 {
		t.Fatal("the false report was not charged")
	}
	eventually(t, 30*time.Second, "recovery ends on BE's report", func() error {
		in.n.ex.TriggerAll()
		if st := in.n.RecoveryStatus(); st.Recovering {
			return fmt.Errorf("%+v", st)
		}
		return nil
	})
	if p, err := in.n.Publish(context.Background(), "notice", notice(t), []string{"BE"}); err != nil || p.Seq != 3 {
		t.Fatalf("publish after recovery: seq %d, %v; want 3", p.Seq, err)
	}
}
