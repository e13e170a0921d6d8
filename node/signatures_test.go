package node

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"filippo.io/age"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// TestStartQuarantinesEntriesFailingTheirSignature: a store written by a
// kpnode before issue 13 holds, in a partner's feed, an entry whose own
// signature fails under a validly signed successor chained to it. At the
// next start the node takes both out of the feed, kept as refused entries
// (bad_signature), so that the feed ends at the last entry that verifies:
// the store verifies clean, every entry it holds verifies on its own
// signature, and it never serves the bad one to a partner, who would
// charge it. A second start does not sweep again.
func TestStartQuarantinesEntriesFailingTheirSignature(t *testing.T) {
	in := newFixture(t, "IN")
	in.start()
	atk := newAttacker(t)
	atk.pinnedBy(t, in.n, "AE")
	toIN, aud := []age.Recipient{in.n.id.Recipient()}, []string{"IN"}
	e1 := atk.entry(t, 1, protocol.Hash{}, aud, toIN, "one")
	e2 := atk.entry(t, 2, e1.Hash(), aud, toIN, "two")
	bad := bytes.Clone(e2.Bytes())
	bad[len(bad)-1] ^= 1
	e3 := atk.entry(t, 3, sha256.Sum256(bad), aud, toIN, "three")
	if r := in.n.pipe.Ingest(e1.Bytes()); r.Outcome != ingest.Stored {
		t.Fatalf("entry 1: %v %s %v", r.Outcome, r.Reason, r.Err)
	}
	in.stop()
	if err := store.PlantEntries(in.dir, bad, e3.Bytes()); err != nil {
		t.Fatal(err)
	}
	in.start()
	headIs(t, in.n, atk, 1)
	refused, err := in.st.Refused()
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 2 || refused[0].Seq != 2 || refused[1].Seq != 3 ||
		refused[0].Reason != reasonBadSignature || !bytes.Equal(refused[0].Bytes, bad) {
		t.Fatalf("refused entries: %+v", refused)
	}
	if rep, err := in.n.Verify(t.Context()); err != nil || !rep.OK() {
		t.Fatalf("verify after the start: %+v, %v", rep, err)
	}
	if _, err := in.st.Entry(atk.id.Public(), 1); err != nil {
		t.Errorf("entry 1, which verifies, is gone: %v", err)
	}
	in.stop()
	in.start()
	if refused, _ := in.st.Refused(); len(refused) != 2 {
		t.Errorf("after a second start, %d refused entries, want 2", len(refused))
	}
	if done, err := in.st.SignaturesChecked(); !done || err != nil {
		t.Errorf("signatures checked: %v, %v", done, err)
	}
}
