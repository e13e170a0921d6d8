package protocol

import (
	"encoding/binary"
	"fmt"
	"time"
)

// parseEntry decodes the fields of raw, whose envelope (size, version,
// signature) has already been checked. It takes ownership of raw.
func parseEntry(raw []byte) (*Entry, error) {
	e := &Entry{raw: raw, hash: entryHash(raw)}
	signed := raw[:len(raw)-SignatureSize]
	copy(e.Signature[:], raw[len(signed):])
	r := &wireReader{b: signed}
	r.header(e)
	e.Type = string(r.bytes(int(r.uint8())))
	e.Audience = r.audience()
	copy(e.Commitment[:], r.next(HashSize))
	e.Ciphertext = r.bytes(int(r.uint32()))
	if err := r.finish(); err != nil {
		return nil, fmt.Errorf("decode entry: %w", err)
	}
	if err := e.checkFields(); err != nil {
		return nil, fmt.Errorf("decode entry: %w", err)
	}
	return e, nil
}

// checkFields enforces the rules on decoded field values.
func (e *Entry) checkFields() error {
	if err := checkChainLink(e.Seq, e.Prev); err != nil {
		return err
	}
	if e.Time.Before(minEntryTime) {
		return fmt.Errorf("%w: time before 1970", ErrMalformed)
	}
	if !validTypeName(e.Type) {
		return fmt.Errorf("%w: type name %q", ErrMalformed, e.Type)
	}
	if len(e.Ciphertext) == 0 {
		return fmt.Errorf("%w: empty ciphertext", ErrMalformed)
	}
	return checkAudience(e.Audience)
}

// wireReader reads big-endian fields from b. After the first short read it
// returns zero values and remembers ErrTruncated.
type wireReader struct {
	b     []byte
	off   int
	err   error
	cache *ReceiptCache // receipts already verified (Hello frames); may be nil
}

// next returns the next n bytes (aliasing b) or nil when fewer remain.
func (r *wireReader) next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = fmt.Errorf("%w: field at offset %d needs %d bytes, %d left", ErrTruncated, r.off, n, len(r.b)-r.off)
		return nil
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v
}

// bytes is next for variable fields; a zero-length field decodes as nil.
func (r *wireReader) bytes(n int) []byte {
	v := r.next(n)
	if len(v) == 0 {
		return nil
	}
	return v
}

func (r *wireReader) uint8() uint8 {
	if v := r.next(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *wireReader) uint32() uint32 {
	if v := r.next(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *wireReader) uint64() uint64 {
	if v := r.next(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// header reads the fixed-size fields after the version byte.
func (r *wireReader) header(e *Entry) {
	r.next(offAuthor)
	copy(e.Author[:], r.next(len(e.Author)))
	e.Seq = r.uint64()
	copy(e.Prev[:], r.next(HashSize))
	e.Time = time.Unix(0, int64(r.uint64())).UTC()
}

// audience reads the count byte and the codes; syntax is checked later.
func (r *wireReader) audience() []string {
	n := int(r.uint8())
	if n > MaxAudience {
		r.err = fmt.Errorf("%w: audience of %d, limit %d", ErrMalformed, n, MaxAudience)
		return nil
	}
	var codes []string
	for range n {
		if c := r.next(2); c != nil {
			codes = append(codes, string(c))
		}
	}
	return codes
}

// finish reports the first error, or ErrMalformed if bytes remain.
func (r *wireReader) finish() error {
	if r.err != nil {
		return r.err
	}
	if r.off != len(r.b) {
		return fmt.Errorf("%w: %d trailing bytes before the signature", ErrMalformed, len(r.b)-r.off)
	}
	return nil
}
