package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// testBundle seals body as a record of type typ from identity 0 (IN) to
// identity 1 and returns its evidence bundle with identity 0's card.
func testBundle(t testing.TB, typ string, body []byte) *EvidenceBundle {
	t.Helper()
	ct, commitment, salt, err := SealRecordSalted(body, recipients(t, 1, 0))
	if err != nil {
		t.Fatalf("SealRecordSalted: %v", err)
	}
	e := mustEntry(t, testIdentity(t, 0), Draft{Seq: 7, Prev: Hash{1}, Time: testTime, Type: typ,
		Audience: []string{"BE"}, Commitment: commitment, Ciphertext: ct})
	return &EvidenceBundle{Type: typ, Card: testSignedCard(t, 0, testCard()).Bytes(), Entry: e.Bytes(),
		Salt: salt[:], Body: body}
}

func testSignedCard(t testing.TB, n int, c Card) *SignedCard {
	t.Helper()
	sc, err := SignCard(c, testIdentity(t, n))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// batchBundle is testBundle of docs/examples/batch.json with item i.
func batchBundle(t testing.TB, i int) *EvidenceBundle {
	t.Helper()
	body := readFile(t, "../docs/examples/batch.json")
	b := testBundle(t, BatchType, body)
	_, items, err := BatchItems(body)
	if err != nil {
		t.Fatal(err)
	}
	b.Item, b.ItemBody = &i, items[i]
	return b
}

// roundTrip encodes b and decodes it again, as a verifier receives it.
func roundTrip(t *testing.T, b *EvidenceBundle) *EvidenceBundle {
	t.Helper()
	got, err := DecodeEvidenceBundle(b.Encode())
	if err != nil {
		t.Fatalf("DecodeEvidenceBundle(Encode()): %v", err)
	}
	return got
}

func TestEvidenceBundleVerifies(t *testing.T) {
	body := readFile(t, "../docs/examples/notice.json")
	p, err := roundTrip(t, testBundle(t, NoticeType, body)).Verify()
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Card.Card.Code != "IN" || p.Entry.Seq != 7 || p.Entry.Type != NoticeType || !bytes.Equal(p.Body, body) || p.Item != nil {
		t.Errorf("proven %+v", p)
	}
	if !p.Entry.Time.Equal(testTime) || p.Card.Fingerprint() != testIdentity(t, 0).Public().Fingerprint() {
		t.Errorf("proven time %s fingerprint %s", p.Entry.Time, p.Card.Fingerprint())
	}
}

func TestEvidenceBundleBatchItemVerifies(t *testing.T) {
	p, err := roundTrip(t, batchBundle(t, 1)).Verify()
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Item == nil || *p.Item != 1 || p.ItemType != CertificateType || !bytes.Contains(p.ItemBody, []byte(`"number"`)) {
		t.Errorf("proven item %v type %q body %s", p.Item, p.ItemType, p.ItemBody)
	}
}

// TestEvidenceBundleTampered changes one part of a valid bundle at a time
// and expects Verify to name that part.
func TestEvidenceBundleTampered(t *testing.T) {
	notice := readFile(t, "../docs/examples/notice.json")
	otherCard := testCard()
	otherCard.Code, otherCard.Name = "BE", "Belgian Diamond Office"
	renamed := testCard()
	renamed.Name = "Someone else"
	tests := []struct {
		name   string
		bundle func(t *testing.T) *EvidenceBundle
		want   error
		says   string
	}{
		{"entry byte", func(t *testing.T) *EvidenceBundle {
			b := testBundle(t, NoticeType, notice)
			b.Entry = flip(b.Entry, 150)
			return b
		}, ErrBadSignature, "entry: decode entry: bad signature"},
		{"body byte", func(t *testing.T) *EvidenceBundle {
			b := testBundle(t, NoticeType, notice)
			b.Body = bytes.Replace(b.Body, []byte("Forged"), []byte("Forgex"), 1)
			return b
		}, ErrCommitment, "salt and body do not open the entry's commitment"},
		{"salt byte", func(t *testing.T) *EvidenceBundle {
			b := testBundle(t, NoticeType, notice)
			b.Salt = flip(b.Salt, 0)
			return b
		}, ErrCommitment, "salt and body do not open the entry's commitment"},
		{"card of another participant", func(t *testing.T) *EvidenceBundle {
			b := testBundle(t, NoticeType, notice)
			b.Card = testSignedCard(t, 1, otherCard).Bytes()
			return b
		}, ErrEvidence, "not by the key of the card of BE"},
		{"card re-signed by another key", func(t *testing.T) *EvidenceBundle {
			b := testBundle(t, NoticeType, notice)
			b.Card = testSignedCard(t, 1, testCard()).Bytes()
			return b
		}, ErrEvidence, "not by the key of the card of IN"},
		{"card edited", func(t *testing.T) *EvidenceBundle {
			b := testBundle(t, NoticeType, notice)
			b.Card = bytes.Replace(testSignedCard(t, 0, renamed).Bytes(), []byte("Someone else"), []byte("Someone elsE"), 1)
			return b
		}, ErrBadSignature, "card: parse card: bad signature"},
		{"type", func(t *testing.T) *EvidenceBundle {
			b := testBundle(t, NoticeType, notice)
			b.Type = CertificateType
			return b
		}, ErrEvidence, `type: evidence does not hold: the bundle says "certificate", the entry signs "notice"`},
		{"invalid body", func(t *testing.T) *EvidenceBundle {
			return testBundle(t, NoticeType, []byte(`{"version":1}`))
		}, nil, `body: invalid notice: field "kind": is required`},
		{"item index", func(t *testing.T) *EvidenceBundle {
			b := batchBundle(t, 1)
			*b.Item = 0
			return b
		}, ErrEvidence, "item_body: evidence does not hold: it differs from item 1 of the batch (counting from 1; index 0)"},
		{"item index out of range", func(t *testing.T) *EvidenceBundle {
			b := batchBundle(t, 1)
			*b.Item = 2
			return b
		}, ErrEvidence, "item: evidence does not hold: index 2, the batch has 2 item(s)"},
		{"item body", func(t *testing.T) *EvidenceBundle {
			b := batchBundle(t, 0)
			b.ItemBody = bytes.Replace(b.ItemBody, []byte(`"parcels": 1`), []byte(`"parcels": 2`), 1)
			return b
		}, ErrEvidence, "it differs from item 1 of the batch (counting from 1; index 0)"},
		{"item of a notice", func(t *testing.T) *EvidenceBundle {
			b := testBundle(t, NoticeType, notice)
			i := 0
			b.Item, b.ItemBody = &i, notice
			return b
		}, ErrEvidence, "item: evidence does not hold: the entry is a notice, not a batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := roundTrip(t, tt.bundle(t)).Verify()
			if err == nil || p != nil {
				t.Fatalf("Verify = %v, %v; want an error", p, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify error %q, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Verify error %q does not say %q", err, tt.says)
			}
		})
	}
}

// TestEvidenceBundleShortSalt checks Verify's own salt check on a bundle
// built in memory (the decoder refuses one on its own).
func TestEvidenceBundleShortSalt(t *testing.T) {
	b := testBundle(t, NoticeType, readFile(t, "../docs/examples/notice.json"))
	b.Salt = b.Salt[:31]
	if p, err := b.Verify(); p != nil || !errors.Is(err, ErrCommitment) || !strings.Contains(err.Error(), "salt: ") {
		t.Fatalf("Verify = %v, %v; want a salt error", p, err)
	}
}

func TestDecodeEvidenceBundleRefuses(t *testing.T) {
	valid := string(testBundle(t, NoticeType, readFile(t, "../docs/examples/notice.json")).Encode())
	tests := []struct{ name, in, says string }{
		{"not JSON", "{", "document is not valid JSON"},
		{"no version", `{"type":"notice"}`, `field "version": is required`},
		{"version 2", strings.Replace(valid, `"version": 1`, `"version": 2`, 1), "unsupported version 2"},
		{"unknown member", strings.Replace(valid, `"type"`, `"extra": 1, "type"`, 1), `field "extra": unknown field`},
		{"duplicate member", strings.Replace(valid, `"type"`, `"card": "", "type"`, 1), `field "card": duplicate key`},
		{"bad base64", strings.Replace(valid, `"salt": "`, `"salt": "*`, 1), `field "salt": must be standard base64`},
		{"short salt", `{"version":1,"type":"notice","card":"AA==","entry":"AA==","salt":"AAAA","body":"AA=="}`, `field "salt": must be 32 bytes, got 3`},
		{"missing body", strings.Replace(valid, `"body"`, `"bodi"`, 1), `field "body": is required`},
		{"bad type", strings.Replace(valid, `"type": "notice"`, `"type": "Notice"`, 1), `field "type": must be a record type name`},
		{"item without body", strings.Replace(valid, `"type"`, `"item": 1, "type"`, 1), `field "item_body": is required`},
		{"negative item", strings.Replace(valid, `"type"`, `"item": -1, "item_body": "AA==", "type"`, 1), `field "item": must be between 0`},
		{"item body without item", strings.Replace(valid, `"type"`, `"item_body": "AA==", "type"`, 1), `field "item_body": needs "item"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := DecodeEvidenceBundle([]byte(tt.in))
			if err == nil || b != nil {
				t.Fatalf("DecodeEvidenceBundle = %v, %v; want an error", b, err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q, want a ValidationError saying %q", err, tt.says)
			}
		})
	}
	big := make([]byte, MaxEvidenceBundleSize+1)
	if _, err := DecodeEvidenceBundle(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized bundle: %v, want ErrTooLarge", err)
	}
}

func TestEvidenceBundleEncodeIsCanonical(t *testing.T) {
	b := batchBundle(t, 0)
	enc := b.Encode()
	again := roundTrip(t, b).Encode()
	if !bytes.Equal(enc, again) {
		t.Fatalf("Encode(Decode(Encode(b))) differs from Encode(b)")
	}
	for _, member := range []string{`"version": 1`, `"type": "batch"`, `"item": 0`, `"item_body": "`} {
		if !bytes.Contains(enc, []byte(member)) {
			t.Errorf("bundle lacks %s:\n%s", member, enc)
		}
	}
}

// FuzzDecodeEvidenceBundle checks that DecodeEvidenceBundle never panics,
// returns nil with every error, that a decoded bundle's canonical encoding
// decodes to the same encoding, and that Verify never panics and returns
// nil with every error.
func FuzzDecodeEvidenceBundle(f *testing.F) {
	f.Add(testBundle(f, NoticeType, readFile(f, "../docs/examples/notice.json")).Encode())
	f.Add(batchBundle(f, 1).Encode())
	f.Add([]byte(`{"version":1,"type":"notice","card":"AA==","entry":"AA==","salt":"AAAA","body":"AA=="}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := DecodeEvidenceBundle(in)
		if err != nil {
			if b != nil {
				t.Fatalf("bundle returned with error %v", err)
			}
			return
		}
		enc := b.Encode()
		again, err := DecodeEvidenceBundle(enc)
		if err != nil || !bytes.Equal(again.Encode(), enc) {
			t.Fatalf("canonical encoding does not decode back: %v", err)
		}
		if p, err := b.Verify(); (p == nil) == (err == nil) {
			t.Fatalf("Verify = %v, %v", p, err)
		}
	})
}
