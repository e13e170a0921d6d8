package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// verifyBundle verifies b as an examining authority would: from its
// encoded bytes alone.
func verifyBundle(t *testing.T, b *protocol.EvidenceBundle) *protocol.ProvenRecord {
	t.Helper()
	got, err := protocol.DecodeEvidenceBundle(b.Encode())
	if err != nil {
		t.Fatalf("decode bundle: %v", err)
	}
	p, err := got.Verify()
	if err != nil {
		t.Fatalf("verify bundle: %v", err)
	}
	return p
}

// lastAudit returns the newest audit record of n.
func lastAudit(t *testing.T, n *Node) store.AuditRecord {
	t.Helper()
	log, err := n.AuditLog(1)
	if err != nil || len(log) != 1 {
		t.Fatalf("audit log: %v, %v", log, err)
	}
	return log[0]
}

// TestEvidenceOfPartnerRecord exports, at BE, the evidence of a notice IN
// sent it: the bundle proves IN signed it.
func TestEvidenceOfPartnerRecord(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	if err := connect(in, be); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Publish(context.Background(), protocol.NoticeType, notice(t), []string{"BE"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "BE holds IN's notice", func() error { return holds(be, "IN", 1) })
	b, err := be.Evidence(EvidenceRequest{Feed: "IN", Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := verifyBundle(t, b)
	var compact bytes.Buffer
	json.Compact(&compact, notice(t))
	if p.Card.Card.Code != "IN" || p.Entry.Author != in.id.Public() || !bytes.Equal(p.Body, compact.Bytes()) {
		t.Errorf("proven %s by %s, body %s", p.Card.Card.Code, p.Entry.Author.Fingerprint(), p.Body)
	}
	a := lastAudit(t, be)
	if a.Action != AuditEvidenceExport || !strings.Contains(string(a.Details), `"feed":"IN"`) || !strings.Contains(string(a.Details), `"offline":false`) {
		t.Errorf("audit record %s %s", a.Action, a.Details)
	}
}

func TestEvidenceOfOwnBatchItem(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	if _, err := in.Import(context.Background(), protocol.CertificateType, certificates(t, 5), []string{"BE"}, false); err != nil {
		t.Fatal(err)
	}
	item := 3
	b, err := in.Evidence(EvidenceRequest{Feed: "IN", Seq: 1, Item: &item})
	if err != nil {
		t.Fatal(err)
	}
	p := verifyBundle(t, b)
	if p.Item == nil || *p.Item != 3 || p.ItemType != protocol.CertificateType || !bytes.Contains(p.ItemBody, []byte("IN0000004")) {
		t.Errorf("proven item %v %s %s", p.Item, p.ItemType, p.ItemBody)
	}
	for _, tt := range []struct {
		req  EvidenceRequest
		want error
	}{
		{EvidenceRequest{Feed: "IN", Seq: 2}, store.ErrNotFound},
		{EvidenceRequest{Feed: "AE", Seq: 1}, ErrUnknownPartner},
		{EvidenceRequest{Feed: "XX", Seq: 1}, ErrUnknownParticipant},
		{EvidenceRequest{Feed: "IN", Seq: 1, Item: new(int(5))}, ErrInvalidRequest},
	} {
		if _, err := in.Evidence(tt.req); !errors.Is(err, tt.want) {
			t.Errorf("Evidence(%+v) = %v, want %v", tt.req, err, tt.want)
		}
	}
}

// TestExportEvidenceOffline exports from a store alone, as "kpnode
// evidence export" does with the daemon stopped: with the stored salt, or
// for a record stored without one, by decrypting the entry again.
func TestExportEvidenceOffline(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig("IN", "Authority IN")
	req := EvidenceRequest{Feed: "IN", Seq: 1}
	if _, err := ExportEvidence(st, cfg, nil, req); err == nil || !strings.Contains(err.Error(), "card is not stored yet") {
		t.Fatalf("export without a stored card: %v", err)
	}
	sc, err := protocol.SignCard(protocol.Card{Code: "IN", Name: "Authority IN", Created: time.Now()}, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutMeta(metaCardSigned, sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	body := compactNotice(t)
	ct, commitment, err := protocol.SealRecord(body, []age.Recipient{id.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := protocol.NewEntry(id, protocol.Draft{Seq: 1, Time: time.Now(), Type: protocol.NoticeType, Commitment: commitment, Ciphertext: ct})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(e, &store.Record{Body: body}); err != nil { // no salt, as in layout 1
		t.Fatal(err)
	}
	if _, err := ExportEvidence(st, cfg, nil, req); err == nil || !strings.Contains(err.Error(), "stored without its salt") {
		t.Fatalf("export of a record without salt, no keys: %v", err)
	}
	b, err := ExportEvidence(st, cfg, id, req)
	if err != nil {
		t.Fatal(err)
	}
	if p := verifyBundle(t, b); p.Entry.Hash() != e.Hash() {
		t.Errorf("proven entry %s, want %s", p.Entry.Hash(), e.Hash())
	}
	log, err := st.AuditLog(0)
	if err != nil || len(log) != 1 || log[0].Action != AuditEvidenceExport || !strings.Contains(string(log[0].Details), `"offline":true`) {
		t.Fatalf("audit log after one export: %+v, %v", log, err)
	}
}

func compactNotice(t *testing.T) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, notice(t)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
