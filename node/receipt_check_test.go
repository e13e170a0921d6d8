package node

import (
	"errors"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// TestStoredFalseReceiptsDroppedAtStart: receipts written into a real
// store that are not true of the node's feed (beyond its head, a hash it
// never signed at the seq) are dropped when the node starts again, logged
// and audited; a true one is kept.
func TestStoredFalseReceiptsDroppedAtStart(t *testing.T) {
	f := newFixture(t, "IN")
	in := f.start()
	beyond, other, honest := newAttacker(t), newAttacker(t), newAttacker(t)
	for code, a := range map[string]*attacker{"AE": beyond, "AO": other, "BW": honest} {
		if _, err := in.AddPartner(a.card(t, code)); err != nil {
			t.Fatal(err)
		}
	}
	publishN(t, in, 3, "AE", "AO", "BW")
	own := in.id.Public()
	at2, err := f.st.Entry(own, 2)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]*protocol.Receipt{
		"AE": beyond.receipt(t, own, 1<<63-1, randomHash(), time.Now()),
		"AO": other.receipt(t, own, 2, randomHash(), time.Now()),
		"BW": honest.receipt(t, own, 2, at2.Hash(), time.Now()),
	}
	for code, r := range stored {
		if err := f.st.PutMeta(exchange.MetaReceiptPrefix+code, r.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	f.stop()
	in = f.start()
	for code, want := range map[string]uint64{"AE": 0, "AO": 0, "BW": 2} {
		if line := partnerLine(t, in, code); line.Receipt != want || line.Undelivered != 3-want {
			t.Errorf("%s: receipt %d, %d undelivered after the restart; want %d and %d", code, line.Receipt, line.Undelivered, want, 3-want)
		}
	}
	for code, kept := range map[string]bool{"AE": false, "AO": false, "BW": true} {
		if _, err := f.st.GetMeta(exchange.MetaReceiptPrefix + code); (err == nil) != kept || (!kept && !errors.Is(err, store.ErrNotFound)) {
			t.Errorf("%s: stored receipt: %v, want kept %v", code, err, kept)
		}
	}
	log, err := in.AuditLog(10)
	if err != nil {
		t.Fatal(err)
	}
	dropped := map[string]bool{}
	for _, r := range log {
		if r.Action == AuditReceiptDrop {
			dropped[string(r.Details)] = true
		}
	}
	if len(dropped) != 2 {
		t.Fatalf("%d receipt drops audited, want 2: %v", len(dropped), dropped)
	}
}
