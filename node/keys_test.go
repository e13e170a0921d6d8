package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// TestPublishSealsStatic: Publish seals to a pinned partner and to the
// author with static-static stanzas, in audience order then the author;
// the partner and the author open the record, a node outside the audience
// does not, and the partner still opens an entry of the same author sealed
// with standard X25519 stanzas.
func TestPublishSealsStatic(t *testing.T) {
	in, be, ae := testNode(t, "IN"), testNode(t, "BE"), testNode(t, "AE")
	for _, p := range [][2]*Node{{in, be}, {be, in}, {in, ae}, {ae, in}} {
		pin(t, p[0], p[1])
	}
	body := notice(t)
	p, err := in.Publish(context.Background(), "notice", body, []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := in.st.Entry(in.id.Public(), p.Seq)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := bytes.Cut(e.Ciphertext, []byte("\n---"))
	if n := bytes.Count(header, []byte("\n-> kpnode-ss25519 ")); n != 2 || bytes.Contains(header, []byte("X25519")) {
		t.Fatalf("header %q: want two kpnode-ss25519 stanzas and no X25519 one", header)
	}
	var compact bytes.Buffer
	json.Compact(&compact, body)
	for _, r := range []struct {
		n    *Node
		code string
	}{{be, "BE"}, {in, ""}} {
		got, _, err := protocol.OpenRecord(e, r.n.openerFor("IN"))
		if err != nil || !bytes.Equal(got, compact.Bytes()) {
			t.Fatalf("%s opens IN's record: %q, %v", r.n.Participant(), got, err)
		}
	}
	if _, _, err := protocol.OpenRecord(e, ae.openerFor("IN")); !errors.Is(err, crypto.ErrNotRecipient) {
		t.Fatalf("AE, outside the audience: %v, want ErrNotRecipient", err)
	}
	ct, commitment, err := protocol.SealRecord(compact.Bytes(), []age.Recipient{be.id.Recipient(), in.id.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	old, err := protocol.NewEntry(in.id, protocol.Draft{Seq: 1, Time: time.Now().UTC(), Type: "notice",
		Audience: []string{"BE"}, Commitment: commitment, Ciphertext: ct})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := protocol.OpenRecord(old, be.openerFor("IN")); err != nil || !bytes.Equal(got, compact.Bytes()) {
		t.Fatalf("BE opens a standard-stanza entry: %q, %v", got, err)
	}
}
