package protocol

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"

	"github.com/kpnode/kpnode/crypto"
)

// Receipt format constants. docs/protocol.md §10 specifies the layout.
const (
	// ReceiptVersion is the first byte of every receipt this package writes.
	ReceiptVersion = 1
	// ReceiptSize is the exact size of an encoded receipt, in bytes.
	ReceiptSize = rcptOffSig + SignatureSize
)

// Offsets of the fields of a receipt.
const (
	rcptOffSigner = 1
	rcptOffFeed   = rcptOffSigner + len(crypto.PublicKey{})
	rcptOffSeq    = rcptOffFeed + len(crypto.PublicKey{})
	rcptOffHash   = rcptOffSeq + 8
	rcptOffTime   = rcptOffHash + HashSize
	rcptOffSig    = rcptOffTime + 8
)

// Receipt is Signer's signed statement "I hold Feed up to Seq, and entry Seq
// hashes to Hash". Because every entry names the hash of the one before it,
// one receipt covers the whole feed up to Seq. It is immutable: the exported
// fields are a decoded view of the wire bytes, for reading only, and
// reassigning them does not change [Receipt.Bytes].
type Receipt struct {
	Signer    crypto.PublicKey // who holds the feed, and signed the receipt
	Feed      crypto.PublicKey // whose feed: the author's key
	Seq       uint64           // 0 = holds nothing of it (Hash then all zero)
	Hash      Hash             // hash of entry Seq
	Time      time.Time        // when signed, UTC, nanosecond precision
	Signature [SignatureSize]byte

	raw        []byte
	unverified bool // decoded as a hint, its signature not checked (see ReceiptCache)
}

// Verified reports whether the receipt's signature was checked (or the
// receipt was just made). Only a verified receipt proves anything to a
// third party; see [ReceiptCache.VerifyOnly] for the others.
func (r *Receipt) Verified() bool { return !r.unverified }

// NewReceipt encodes and signs, with id as Signer, the statement that id
// holds feed up to seq, whose entry hashes to hash. seq 0 (with the zero
// hash) says id holds nothing of the feed. t must lie in 1970..2262.
func NewReceipt(id *crypto.Identity, feed crypto.PublicKey, seq uint64, hash Hash, t time.Time) (*Receipt, error) {
	if err := checkReceiptLink(seq, hash); err != nil {
		return nil, fmt.Errorf("encode receipt: %w", err)
	}
	if t.Before(minEntryTime) || t.After(maxEntryTime) {
		return nil, fmt.Errorf("encode receipt: %w: time %s outside 1970..2262", ErrMalformed, t)
	}
	signer := id.Public()
	b := make([]byte, 0, ReceiptSize)
	b = append(b, ReceiptVersion)
	b = append(b, signer[:]...)
	b = append(b, feed[:]...)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, hash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
	b = append(b, id.Sign(crypto.DomainReceipt, b)...)
	r, err := parseReceipt(b)
	if err != nil {
		return nil, fmt.Errorf("encode receipt: %w", err)
	}
	return r, nil
}

// DecodeReceipt decodes and authenticates a receipt from untrusted bytes. It
// checks, in order: the exact size, the version, the signer's signature, and
// only then the fields. It copies b. On error the receipt is nil.
func DecodeReceipt(b []byte) (*Receipt, error) {
	r, err := decodeReceipt(bytes.Clone(b))
	if err != nil {
		return nil, fmt.Errorf("decode receipt: %w", err)
	}
	return r, nil
}

// decodeReceipt is DecodeReceipt without the copy and the error prefix; it
// takes ownership of b.
func decodeReceipt(b []byte) (*Receipt, error) {
	if err := checkReceiptSize(b); err != nil {
		return nil, err
	}
	var signer crypto.PublicKey
	copy(signer[:], b[rcptOffSigner:])
	if !crypto.Verify(crypto.DomainReceipt, signer, b[:rcptOffSig], b[rcptOffSig:]) {
		return nil, ErrBadSignature
	}
	return parseReceipt(b)
}

// checkReceiptSize applies the first two checks of a receipt decoder: the
// exact size, then the version.
func checkReceiptSize(b []byte) error {
	switch {
	case len(b) > ReceiptSize:
		return fmt.Errorf("%w: %d bytes, want %d", ErrTooLarge, len(b), ReceiptSize)
	case len(b) < ReceiptSize:
		return fmt.Errorf("%w: %d bytes, want %d", ErrTruncated, len(b), ReceiptSize)
	case b[0] != ReceiptVersion:
		return fmt.Errorf("%w: %d", ErrVersion, b[0])
	}
	return nil
}

// decodeReceiptHint is decodeReceipt without the signature check: the
// size, version and fields are checked, and the receipt is marked
// unverified. It takes ownership of b.
func decodeReceiptHint(b []byte) (*Receipt, error) {
	if err := checkReceiptSize(b); err != nil {
		return nil, err
	}
	r, err := parseReceipt(b)
	if err == nil {
		r.unverified = true
	}
	return r, err
}

// parseReceipt decodes the fields of raw, a receipt of the right size whose
// signature has been checked or just made. It takes ownership of raw.
func parseReceipt(raw []byte) (*Receipt, error) {
	r := &Receipt{raw: raw[:ReceiptSize:ReceiptSize]}
	copy(r.Signer[:], raw[rcptOffSigner:])
	copy(r.Feed[:], raw[rcptOffFeed:])
	r.Seq = binary.BigEndian.Uint64(raw[rcptOffSeq:])
	copy(r.Hash[:], raw[rcptOffHash:])
	nanos := int64(binary.BigEndian.Uint64(raw[rcptOffTime:]))
	r.Time = time.Unix(0, nanos).UTC()
	copy(r.Signature[:], raw[rcptOffSig:])
	if err := checkReceiptLink(r.Seq, r.Hash); err != nil {
		return nil, err
	}
	if nanos < 0 {
		return nil, fmt.Errorf("%w: time before 1970", ErrMalformed)
	}
	return r, nil
}

// checkReceiptLink enforces that the hash is zero exactly when seq is 0.
func checkReceiptLink(seq uint64, hash Hash) error {
	switch {
	case seq == 0 && !hash.IsZero():
		return fmt.Errorf("%w: seq 0 with non-zero hash", ErrMalformed)
	case seq > 0 && hash.IsZero():
		return fmt.Errorf("%w: seq %d with zero hash", ErrMalformed, seq)
	}
	return nil
}

// Bytes returns the exact wire bytes of the receipt, [ReceiptSize] of them.
// The caller must not modify them.
func (r *Receipt) Bytes() []byte { return r.raw }

// signedKeys returns signer and feed as the wire bytes hold them.
func (r *Receipt) signedKeys() (signer, feed crypto.PublicKey) {
	copy(signer[:], r.raw[rcptOffSigner:])
	copy(feed[:], r.raw[rcptOffFeed:])
	return signer, feed
}

// LogValue summarises the receipt for logs.
func (r *Receipt) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("signer", r.Signer.Fingerprint()),
		slog.String("feed", r.Feed.Fingerprint()),
		slog.Uint64("seq", r.Seq),
		slog.String("hash", r.Hash.Short()),
	)
}
