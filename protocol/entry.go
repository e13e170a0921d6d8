package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/kpnode/kpnode/crypto"
)

// Entry format constants. docs/protocol.md specifies the layout.
const (
	// EntryVersion is the first byte of every entry this package writes.
	EntryVersion = 1
	// MaxEntrySize caps a whole encoded entry, in bytes.
	MaxEntrySize = 4 << 20
	// MinEntrySize is the size of the smallest well-formed entry: a one-byte
	// type name, no audience and a one-byte ciphertext.
	MinEntrySize = fixedHeaderSize + 2 + 1 + HashSize + 4 + 1 + SignatureSize
	// MaxAudience caps the number of participant codes in an entry's audience.
	MaxAudience = 100
	// MaxTypeLen caps the length of a record type name.
	MaxTypeLen = 32
	// SignatureSize is the size of an entry signature in bytes.
	SignatureSize = crypto.SignatureSize
)

// Offsets of the fixed-size fields at the start of an entry.
const (
	offAuthor       = 1
	offSeq          = offAuthor + len(crypto.PublicKey{})
	offPrev         = offSeq + 8
	offTime         = offPrev + HashSize
	fixedHeaderSize = offTime + 8
)

// Entry is one signed, sealed record in an author's append-only feed. An
// Entry exists only verified: [DecodeEntry] and [DecodeBatch] check its own
// signature, [NewEntry] makes it. It is immutable: the exported fields are a decoded view of the wire bytes, for
// reading only. Ciphertext shares memory with [Entry.Bytes]; reassigning a
// field changes neither [Entry.Bytes] nor [Entry.Hash].
type Entry struct {
	Author     crypto.PublicKey // the feed's owner and signer
	Seq        uint64           // 1 for the first entry of a feed
	Prev       Hash             // hash of entry Seq-1; zero when Seq is 1
	Time       time.Time        // author's clock, UTC, nanosecond precision
	Type       string           // record type name, e.g. "notice"
	Audience   []string         // participant codes that may read it, strictly ascending
	Commitment Hash             // salted commitment to the plaintext record (see [Commit])
	Ciphertext []byte           // age ciphertext of the sealed record (see [SealRecord])
	Signature  [SignatureSize]byte

	raw  []byte
	hash Hash
}

// Draft holds what an author chooses for a new entry; [NewEntry] adds the
// author and signature.
type Draft struct {
	Seq        uint64
	Prev       Hash
	Time       time.Time
	Type       string
	Audience   []string // any order; NewEntry sorts a copy
	Commitment Hash
	Ciphertext []byte
}

// NewEntry validates d, encodes it with id's public key as author and signs
// it. The audience is sorted; duplicate codes are an error. NewEntry does
// not retain d's slices.
func NewEntry(id *crypto.Identity, d Draft) (*Entry, error) {
	sign := func(msg []byte) []byte { return id.Sign(crypto.DomainEntry, msg) }
	raw, err := encodeEntry(id.Public(), d, sign)
	if err != nil {
		return nil, err
	}
	e, err := parseEntry(raw)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// DecodeEntry decodes and authenticates an entry from untrusted bytes. It
// checks, in order: the size cap, the minimum size, the version, the author's
// signature over everything but the last 64 bytes, and only then the
// remaining fields. It copies b. On error the entry is nil.
func DecodeEntry(b []byte) (*Entry, error) {
	if err := checkEnvelope(b); err != nil {
		return nil, fmt.Errorf("decode entry: %w", err)
	}
	return parseEntry(bytes.Clone(b))
}

// checkEnvelope performs the checks that precede parsing: the size and
// version, then the signature.
func checkEnvelope(b []byte) error {
	if err := checkSize(b); err != nil {
		return err
	}
	if !signatureValid(entryAuthor(b), b) {
		return ErrBadSignature
	}
	return nil
}

// signatureValid reports whether the last SignatureSize bytes of the
// entry bytes b sign the rest for author.
func signatureValid(author crypto.PublicKey, b []byte) bool {
	n := len(b) - SignatureSize
	return crypto.Verify(crypto.DomainEntry, author, b[:n], b[n:])
}

// checkSize checks an entry's size bounds and version byte.
func checkSize(b []byte) error {
	switch {
	case len(b) > MaxEntrySize:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxEntrySize)
	case len(b) < MinEntrySize:
		return fmt.Errorf("%w: %d bytes, minimum %d", ErrTruncated, len(b), MinEntrySize)
	case b[0] != EntryVersion:
		return fmt.Errorf("%w: %d", ErrVersion, b[0])
	}
	return nil
}

// Bytes returns the exact wire bytes of the entry. The caller must not
// modify them.
func (e *Entry) Bytes() []byte { return e.raw }

// Hash returns the SHA-256 of [Entry.Bytes], the value the next entry's
// Prev names.
func (e *Entry) Hash() Hash { return e.hash }

// Follows checks that e directly follows the entry (prevSeq, prevHash) of the
// same feed. For the first entry pass 0 and the zero hash. It returns an
// error wrapping [ErrSeqGap] or [ErrBrokenChain].
func (e *Entry) Follows(prevSeq uint64, prevHash Hash) error {
	if prevSeq == math.MaxUint64 || e.Seq != prevSeq+1 {
		return fmt.Errorf("check entry %d after %d: %w", e.Seq, prevSeq, ErrSeqGap)
	}
	if e.Prev != prevHash {
		return fmt.Errorf("check entry %d: prev %s, want %s: %w", e.Seq, e.Prev.Short(), prevHash.Short(), ErrBrokenChain)
	}
	return nil
}

// LogValue summarises the entry for logs without its payload.
func (e *Entry) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("author", e.Author.Fingerprint()),
		slog.Uint64("seq", e.Seq),
		slog.String("type", e.Type),
		slog.Int("size", len(e.raw)),
		slog.String("hash", e.hash.Short()),
	)
}

// encodeEntry validates d and returns the signed wire bytes. sign receives
// the bytes to sign (without domain prefix) and returns the signature.
func encodeEntry(author crypto.PublicKey, d Draft, sign func([]byte) []byte) ([]byte, error) {
	audience, err := d.check()
	if err != nil {
		return nil, fmt.Errorf("encode entry: %w", err)
	}
	size := entrySize(d.Type, len(audience), len(d.Ciphertext))
	if size > MaxEntrySize {
		return nil, fmt.Errorf("encode entry: %w: %d bytes, limit %d", ErrTooLarge, size, MaxEntrySize)
	}
	b := make([]byte, 0, size)
	b = append(b, EntryVersion)
	b = append(b, author[:]...)
	b = binary.BigEndian.AppendUint64(b, d.Seq)
	b = append(b, d.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Time.UnixNano()))
	b = append(b, byte(len(d.Type)))
	b = append(b, d.Type...)
	b = append(b, byte(len(audience)))
	for _, c := range audience {
		b = append(b, c...)
	}
	b = append(b, d.Commitment[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(d.Ciphertext)))
	b = append(b, d.Ciphertext...)
	return append(b, sign(b)...), nil
}

// entrySize is the encoded size of an entry of type typ with audience
// codes and a ciphertext of ciphertext bytes (docs/protocol.md).
func entrySize(typ string, audience, ciphertext int) int {
	return fixedHeaderSize + 1 + len(typ) + 1 + 2*audience + HashSize + 4 + ciphertext + SignatureSize
}

// SealedEntrySizeBound is at least the encoded size of an entry of type
// typ with audience codes whose record, a body of body bytes, is sealed
// by [SealRecordSalted] to recipients recipients (X25519 or static): the
// entry's framing and signature around the age file of the salted body
// ([crypto.SealedSizeBound]). Batch packing leaves this envelope room.
func SealedEntrySizeBound(typ string, audience, recipients, body int) int {
	return entrySize(typ, audience, crypto.SealedSizeBound(1+SaltSize+body, recipients))
}

// Times an entry can carry: unix nanoseconds that fit an int64, not before
// the epoch.
var (
	minEntryTime = time.Unix(0, 0)
	maxEntryTime = time.Unix(0, math.MaxInt64)
)

// check validates the draft and returns its audience sorted.
func (d Draft) check() ([]string, error) {
	if err := checkChainLink(d.Seq, d.Prev); err != nil {
		return nil, err
	}
	if d.Time.Before(minEntryTime) || d.Time.After(maxEntryTime) {
		return nil, fmt.Errorf("%w: time %s outside 1970..2262", ErrMalformed, d.Time)
	}
	if !validTypeName(d.Type) {
		return nil, fmt.Errorf("%w: type name %q", ErrMalformed, d.Type)
	}
	if len(d.Ciphertext) == 0 {
		return nil, fmt.Errorf("%w: empty ciphertext", ErrMalformed)
	}
	audience := slices.Clone(d.Audience)
	slices.Sort(audience)
	if err := checkAudience(audience); err != nil {
		return nil, err
	}
	return audience, nil
}

// checkChainLink enforces seq >= 1 and prev zero exactly when seq is 1.
func checkChainLink(seq uint64, prev Hash) error {
	switch {
	case seq == 0:
		return fmt.Errorf("%w: seq 0", ErrMalformed)
	case seq == 1 && !prev.IsZero():
		return fmt.Errorf("%w: seq 1 with non-zero prev", ErrMalformed)
	case seq > 1 && prev.IsZero():
		return fmt.Errorf("%w: seq %d with zero prev", ErrMalformed, seq)
	}
	return nil
}

// checkAudience requires at most MaxAudience well-formed codes in strictly
// ascending order.
func checkAudience(codes []string) error {
	if len(codes) > MaxAudience {
		return fmt.Errorf("%w: audience of %d, limit %d", ErrMalformed, len(codes), MaxAudience)
	}
	for i, c := range codes {
		if !isCodeSyntax(c) {
			return fmt.Errorf("%w: audience code %q", ErrMalformed, c)
		}
		if i > 0 && codes[i-1] >= c {
			return fmt.Errorf("%w: audience not strictly ascending at %q", ErrMalformed, c)
		}
	}
	return nil
}

// validTypeName reports whether s matches [a-z][a-z0-9_]* with 1..MaxTypeLen
// bytes.
func validTypeName(s string) bool {
	if len(s) == 0 || len(s) > MaxTypeLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// isCodeSyntax reports whether s is two uppercase ASCII letters.
func isCodeSyntax(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// entryHash returns the SHA-256 of raw wire bytes.
func entryHash(raw []byte) Hash { return sha256.Sum256(raw) }
