package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// follows reports whether reader has partner code pinned with key k.
func follows(reader *Node, code string, k crypto.PublicKey) error {
	p, err := reader.st.Partner(code)
	if err != nil {
		return err
	}
	if p.Key != k {
		return fmt.Errorf("%s pins %s with %s, want %s", reader.Participant(), code, p.Key.Fingerprint(), k.Fingerprint())
	}
	return nil
}

// forgeAfter signs, with id, the entry that would follow seq prev of its
// feed: what a thief holding a retired key could publish.
func forgeAfter(t *testing.T, id *crypto.Identity, seq uint64, prev protocol.Hash, to *Node) *protocol.Entry {
	t.Helper()
	ct, commitment, _, err := protocol.SealRecordSalted(notice(t), []age.Recipient{to.id.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := protocol.NewEntry(id, protocol.Draft{Seq: seq + 1, Prev: prev, Time: time.Now().UTC(), Type: "notice",
		Audience: []string{to.Participant()}, Commitment: commitment, Ciphertext: ct})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRotationPartnersFollow(t *testing.T) {
	in := newFixture(t, "IN")
	in.start()
	in.card0 = in.card // the old key's card
	be, ae := testNode(t, "BE"), testNode(t, "AE")
	for _, p := range []*Node{be, ae} {
		pin(t, p, in.n)
		pin(t, in.n, p)
	}
	pin(t, be, ae)
	pin(t, ae, be)
	ctx := context.Background()
	for range 2 {
		if _, err := in.n.Publish(ctx, "notice", notice(t), []string{"all"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*Node{be, ae} {
		eventually(t, 30*time.Second, p.Participant()+" holds IN 1..2", func() error { return holds(p, "IN", 2) })
	}

	// AE is cut off while IN rotates, and seals one more entry to IN's
	// old key.
	for _, code := range []string{"IN", "BE"} {
		if _, err := ae.PausePartner(code, true); err != nil {
			t.Fatal(err)
		}
	}
	if !connectedWithin(ae, be, 5*time.Second, false) || !connectedWithin(ae, in.n, 5*time.Second, false) {
		t.Fatal("AE still connected")
	}
	sealedToOld, err := ae.Publish(ctx, "notice", noticeBy(t, "AE"), []string{"IN"})
	if err != nil {
		t.Fatal(err)
	}

	old := in.id
	next, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	res, err := in.n.Rotate(ctx, next, "test rotation", 3*time.Second)
	if err != nil || res.Seq != 3 || !slices.Equal(res.Confirmed, []string{"BE"}) || !slices.Equal(res.Pending, []string{"AE"}) {
		t.Fatalf("rotate: %+v, %v; want hand-over 3 receipted by BE, AE pending", res, err)
	}
	if _, err := in.n.Publish(ctx, "notice", notice(t), []string{"all"}); !errors.Is(err, ErrKeyRetired) {
		t.Fatalf("publish with the old key after its hand-over: %v, want ErrKeyRetired", err)
	}
	eventually(t, 10*time.Second, "BE follows IN", func() error { return follows(be, "IN", next.Public()) })
	handover, err := be.st.Entry(old.Public(), 3)
	if err != nil {
		t.Fatal(err)
	}

	// IN restarts with the new key; AE comes back through BE first and
	// gets the hand-over relayed.
	in.stop()
	in.id, in.retired = next, []*crypto.Identity{old}
	in.start()
	if _, err := ae.PausePartner("BE", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "AE follows IN through BE", func() error { return follows(ae, "IN", next.Public()) })
	if _, err := ae.PausePartner("IN", false); err != nil {
		t.Fatal(err)
	}
	aeKey := ae.id.Public()
	eventually(t, 30*time.Second, "IN reads AE's entry sealed to its old key", func() error {
		r, err := in.st.Record(aeKey, sealedToOld.Seq)
		if err != nil || len(r.Body) == 0 {
			return fmt.Errorf("record: %v", err)
		}
		return nil
	})

	// The new feed reaches both partners, and they can read it.
	if _, err := in.n.Publish(ctx, "notice", notice(t), []string{"all"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Node{be, ae} {
		eventually(t, 30*time.Second, p.Participant()+" reads IN's new feed", func() error { return holds(p, "IN", 1) })
		olds, err := p.st.Entries(old.Public(), 1, 0) // verified with the old key
		if err != nil || len(olds) != 3 {
			t.Fatalf("%s: history of the old key: %d entries, %v", p.Participant(), len(olds), err)
		}
		if r, err := p.st.Record(old.Public(), 1); err != nil || len(r.Body) == 0 {
			t.Fatalf("%s: old record unreadable: %v", p.Participant(), err)
		}
		assertAudit(t, p, AuditPartnerRotate)
	}
	if r, err := in.st.Record(old.Public(), 2); err != nil || len(r.Body) == 0 {
		t.Fatalf("IN cannot read its own history: %v", err)
	}
	if fe, err := in.n.Feed(old.Fingerprint(), 1, 0); err != nil || len(fe) != 3 || len(fe[0].Record) == 0 {
		t.Fatalf("IN's old feed by its key's fingerprint: %d entries, %v", len(fe), err)
	}
	assertAudit(t, in.n, AuditKeysRotate)

	// Whatever the old key signs after its hand-over is refused, pushed or
	// relayed, and kept as evidence.
	forged := forgeAfter(t, old, 3, handover.Hash(), be)
	for _, p := range []*Node{be, ae} {
		if r := p.pipe.Ingest(forged.Bytes()); r.Outcome != ingest.Rejected || r.Reason != "retired_key" {
			t.Fatalf("%s: old key after the hand-over: outcome %d %q, want refused as retired_key", p.Participant(), r.Outcome, r.Reason)
		}
		if refused, _ := p.st.Refused(); len(refused) != 1 || refused[0].Reason != "after_handover" {
			t.Fatalf("%s: evidence %+v", p.Participant(), refused)
		}
	}

	// A partner that gets the old feed, its hand-over and a forged sequel
	// in one sync batch (prepared together, committed in order) follows
	// and refuses the sequel.
	fresh := freshPeerOf(t, be, in.card0)
	raws, err := be.st.RawEntries(old.Public(), 1, 0)
	if err != nil || len(raws) != 3 {
		t.Fatalf("BE's copy of the old feed: %d, %v", len(raws), err)
	}
	batch := [][]byte{raws[0].Bytes, raws[1].Bytes, raws[2].Bytes, forged.Bytes()}
	var outcomes []ingest.Outcome
	for _, p := range fresh.pipe.PrepareAll(batch) {
		outcomes = append(outcomes, fresh.pipe.Commit(p).Outcome)
	}
	if !slices.Equal(outcomes, []ingest.Outcome{ingest.Stored, ingest.Stored, ingest.Stored, ingest.Rejected}) {
		t.Fatalf("batch outcomes %v, want three stored and the sequel refused", outcomes)
	}
	if err := follows(fresh, "IN", next.Public()); err != nil {
		t.Fatal(err)
	}
}

// freshPeerOf is p's identity on an empty in-memory store, not started,
// with card pinned: p as it would be before it synced anything.
func freshPeerOf(t *testing.T, p *Node, card []byte) *Node {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(DefaultConfig(p.Participant(), "fresh "+p.Participant()), p.id, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(); st.Close() })
	if _, err := n.AddPartner(card); err != nil {
		t.Fatal(err)
	}
	return n
}
