package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/ingest"
)

// headOf is reader's head seq of feed k.
func headOf(t *testing.T, reader *Node, k crypto.PublicKey) uint64 {
	t.Helper()
	h, err := reader.st.Head(k)
	if err != nil {
		t.Fatal(err)
	}
	return h.Seq
}

func TestRepinAfterCompromise(t *testing.T) {
	nodes := mesh(t, "IN", "BE", "AE")
	in, thief, ae := nodes[0], nodes[1], nodes[2] // thief: whoever holds BE's old key now
	ctx := context.Background()
	oldKey := thief.id.Public()
	for range 2 {
		if _, err := thief.Publish(ctx, "notice", noticeBy(t, thief.Participant()), []string{"all"}); err != nil {
			t.Fatal(err)
		}
	}
	// The thief signs entry 3 before anyone knows of the compromise.
	if _, err := thief.Publish(ctx, "notice", noticeBy(t, thief.Participant()), []string{"all"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "IN holds BE 1..3", func() error { return holds(in, "BE", 3) })

	// BE's operator makes a new key and hands its card to IN out of band;
	// entries 1 and 2 were BE's, entry 3 was not.
	be := testNode(t, "BE")
	pin(t, be, in)
	card, err := be.Card()
	if err != nil {
		t.Fatal(err)
	}
	res, err := in.RepinPartner("BE", card.Bytes(), 2)
	if err != nil || res.TakenOut != 1 || res.ValidThrough != 2 {
		t.Fatalf("repin: %+v, %v; want entry 3 taken out", res, err)
	}
	if got := headOf(t, in, oldKey); got != 2 {
		t.Fatalf("IN's copy of the old feed ends at %d, want 2", got)
	}
	refused, err := in.st.Refused()
	if err != nil || len(refused) != 1 || refused[0].Seq != 3 || refused[0].Reason != "after_compromise" {
		t.Fatalf("evidence of entry 3: %+v, %v", refused, err)
	}
	for seq := uint64(1); seq <= 2; seq++ {
		if _, err := in.st.Entry(oldKey, seq); err != nil {
			t.Fatalf("history before the stated seq: entry %d: %v", seq, err)
		}
		if r, err := in.st.Record(oldKey, seq); err != nil || len(r.Body) == 0 {
			t.Fatalf("record %d of the old key unreadable: %v", seq, err)
		}
	}
	assertAudit(t, in, AuditPartnerRepin)
	if st, err := in.Status(); err != nil || len(st.Refused) != 1 || st.Refused[0].Feed != "BE" || st.Refused[0].Fingerprint != oldKey.Fingerprint() {
		t.Fatalf("status does not report the refused entry: %+v, %v", st.Refused, err)
	}

	// The thief goes on signing; AE, not re-pinned, takes it and relays it.
	p, err := thief.Publish(ctx, "notice", noticeBy(t, thief.Participant()), []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "AE holds BE 1..4", func() error { return holds(ae, "BE", 4) })
	raw, err := ae.st.RawEntries(oldKey, p.Seq, 1)
	if err != nil || len(raw) != 1 {
		t.Fatalf("AE's copy of entry 4: %v", err)
	}
	if r := in.pipe.Ingest(raw[0].Bytes); r.Outcome != ingest.Rejected || r.Reason != "retired_key" {
		t.Fatalf("relayed entry 4 of the old key: outcome %d reason %q, want refused as retired_key", r.Outcome, r.Reason)
	}
	if !connectedWithin(in, thief, 5*time.Second, false) {
		t.Fatal("IN still connected to the old key's peer")
	}
	connect(thief, in) // may report success: the gated side closes it after the handshake
	if !connectedWithin(in, thief, 5*time.Second, false) || !connectedWithin(thief, in, 5*time.Second, false) {
		t.Fatal("the old key's peer stayed connected to IN after the re-pin")
	}

	// The new key works both ways, and a sync with AE (which announces the
	// old feed up to 4) does not pull what would be refused.
	if _, err := be.Publish(ctx, "notice", noticeBy(t, "BE"), []string{"IN"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "IN reads BE's new feed", func() error { return holds(in, "BE", 1) })
	if _, err := in.Publish(ctx, "notice", notice(t), []string{"BE"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "new BE reads IN", func() error { return holds(be, "IN", 1) })
	in.ex.TriggerAll()
	eventually(t, 10*time.Second, "IN syncs with AE cleanly", func() error {
		st, _ := in.Status()
		for _, ps := range st.Partners {
			if ps.Code == "AE" && !ps.LastSync.IsZero() && ps.LastSyncError == "" {
				return nil
			}
		}
		return fmt.Errorf("no clean sync with AE yet")
	})
	if got := headOf(t, in, oldKey); got != 2 {
		t.Fatalf("after syncing with AE, IN's copy of the old feed is at %d, want 2", got)
	}
}
