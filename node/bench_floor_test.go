package node

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"testing"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
)

// The naive crypto floor: what one entry's cryptography costs when it is
// done the obvious way with the standard libraries, as the issues' anchor
// figures are (Ed25519 from crypto/ed25519, age from filippo.io/age with
// X25519 recipients, stanzas tried in order). The exchange benchmarks
// judge their targets against it, so that a cheaper way to do the same
// cryptography counts as a gain, not as a higher bar; they also report the
// floor of the cryptography kpnode actually does (measureFloor), so the
// non-crypto overhead stays visible.

// measureNaiveFloor times, on the calling goroutine, the naive cost of one
// entry of body to reader: on the sender, ed25519.Sign of an entry-sized
// message and age.Encrypt to the reader and the author; on the receiver,
// ed25519.Verify of that signature and age.Decrypt with the reader's
// identity (its stanza comes first: the audience is sealed before the
// author). Each is the fastest of several batches (see fastestBatch).
func measureNaiveFloor(tb testing.TB, author, reader *crypto.Identity, readerCode string, body []byte) cryptoFloor {
	rcpts := []age.Recipient{reader.Recipient(), author.Recipient()}
	msg := sealedEntry(tb, author, readerCode, body, rcpts).Bytes()
	priv := author.Ed25519()
	pub := priv.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(priv, msg)
	ct := ageEncrypt(tb, body, rcpts)
	send := fastestBatch(func() {
		ed25519.Sign(priv, msg)
		ageEncrypt(tb, body, rcpts)
	})
	receive := fastestBatch(func() {
		if !ed25519.Verify(pub, msg, sig) {
			tb.Fatal("naive floor: signature does not verify")
		}
		ageDecrypt(tb, ct, reader.AgeIdentity())
	})
	return cryptoFloor{sender: send, receiver: receive}
}

func ageEncrypt(tb testing.TB, body []byte, rcpts []age.Recipient) []byte {
	var out bytes.Buffer
	w, err := age.Encrypt(&out, rcpts...)
	if err == nil {
		_, err = w.Write(body)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		tb.Fatalf("naive floor: age encrypt: %v", err)
	}
	return out.Bytes()
}

func ageDecrypt(tb testing.TB, ct []byte, id age.Identity) []byte {
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		tb.Fatalf("naive floor: age decrypt: %v", err)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("naive floor: age decrypt: %v", err)
	}
	return body
}

// TestNaiveFloorOpensWhatItSeals checks that the naive floor measures real
// work: what it seals, the reader opens to the same body, and a stranger
// cannot.
func TestNaiveFloorOpensWhatItSeals(t *testing.T) {
	author, reader, stranger := identity(t), identity(t), identity(t)
	body := []byte(`{"a":"record"}`)
	ct := ageEncrypt(t, body, []age.Recipient{reader.Recipient(), author.Recipient()})
	if got := ageDecrypt(t, ct, reader.AgeIdentity()); !bytes.Equal(got, body) {
		t.Fatalf("reader opened %q, want %q", got, body)
	}
	if _, err := age.Decrypt(bytes.NewReader(ct), stranger.AgeIdentity()); err == nil {
		t.Fatal("a stranger opened a record sealed to others")
	}
}

func identity(t *testing.T) *crypto.Identity {
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
