package protocol

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/kpnode/kpnode/crypto"
)

// rangeSize is the encoded size of a [Range]: feed, from, to.
const rangeSize = len(crypto.PublicKey{}) + 8 + 8

// frameCodec is implemented by the frame types of this package.
type frameCodec interface {
	Frame
	// payloadSize checks the frame and returns the size of its payload.
	payloadSize() (int, error)
	// appendPayload appends the payload of a checked frame to b.
	appendPayload(b []byte) []byte
}

// appendFrame checks f and appends its type byte and payload to b.
func appendFrame(b []byte, f Frame) ([]byte, error) {
	c, ok := f.(frameCodec)
	if !ok {
		return nil, fmt.Errorf("encode frame: %w: %T", ErrUnknownFrame, f)
	}
	size, err := c.payloadSize()
	if err == nil && size > MaxFrameSize {
		err = fmt.Errorf("%w: payload of %d bytes, limit %d", ErrTooLarge, size, MaxFrameSize)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s frame: %w", f.Type(), err)
	}
	b = slices.Grow(b, 1+size)
	b = append(b, byte(f.Type()))
	return c.appendPayload(b), nil
}

// decodeFrame decodes a frame of at most 1+MaxFrameSize bytes. It takes
// ownership of b: the entries of an Entries frame and the receipts of a Hello
// alias it.
func decodeFrame(b []byte, cache *ReceiptCache) (Frame, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("decode frame: %w: no type byte", ErrTruncated)
	}
	t, r := FrameType(b[0]), &wireReader{b: b[1:], cache: cache}
	var f Frame
	switch t {
	case FrameHello:
		f = r.hello()
	case FrameWant:
		f = r.want()
	case FrameEntries:
		f = r.entries()
	case FrameEnd:
		f = &End{}
	case FrameError:
		f = r.syncError()
	default:
		return nil, fmt.Errorf("decode frame: %w %d", ErrUnknownFrame, b[0])
	}
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("decode %s frame: %w", t, err)
	}
	return f, nil
}

func (h *Hello) payloadSize() (int, error) {
	if h == nil {
		return 0, fmt.Errorf("%w: nil frame", ErrMalformed)
	}
	if len(h.Receipts) > MaxHelloReceipts {
		return 0, fmt.Errorf("%w: %d receipts, limit %d", ErrTooLarge, len(h.Receipts), MaxHelloReceipts)
	}
	for i, rc := range h.Receipts {
		if rc == nil || len(rc.raw) != ReceiptSize {
			return 0, fmt.Errorf("receipt %d: %w: not made by NewReceipt or DecodeReceipt", i, ErrMalformed)
		}
	}
	if err := checkHello(h.Receipts); err != nil {
		return 0, err
	}
	return 2 + len(h.Receipts)*ReceiptSize, nil
}

func (h *Hello) appendPayload(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.Receipts)))
	for _, rc := range h.Receipts {
		b = append(b, rc.raw...)
	}
	return b
}

// checkHello requires one signer and distinct feeds.
func checkHello(receipts []*Receipt) error {
	seen := make(map[crypto.PublicKey]bool, len(receipts))
	var first crypto.PublicKey
	for i, rc := range receipts {
		signer, feed := rc.signedKeys()
		if i == 0 {
			first = signer
		}
		if signer != first {
			return fmt.Errorf("receipt %d: %w: signer differs from receipt 0's", i, ErrMalformed)
		}
		if seen[feed] {
			return fmt.Errorf("receipt %d: %w: second receipt for feed %s", i, ErrMalformed, feed.Fingerprint())
		}
		seen[feed] = true
	}
	return nil
}

func (w *Want) payloadSize() (int, error) {
	if w == nil {
		return 0, fmt.Errorf("%w: nil frame", ErrMalformed)
	}
	if len(w.Ranges) > MaxWantRanges {
		return 0, fmt.Errorf("%w: %d ranges, limit %d", ErrTooLarge, len(w.Ranges), MaxWantRanges)
	}
	for i, rg := range w.Ranges {
		if err := rg.check(); err != nil {
			return 0, fmt.Errorf("range %d: %w", i, err)
		}
	}
	if err := checkDisjoint(w.Ranges); err != nil {
		return 0, err
	}
	return 2 + len(w.Ranges)*rangeSize, nil
}

func (w *Want) appendPayload(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(w.Ranges)))
	for _, rg := range w.Ranges {
		b = append(b, rg.Feed[:]...)
		b = binary.BigEndian.AppendUint64(b, rg.From)
		b = binary.BigEndian.AppendUint64(b, rg.To)
	}
	return b
}

// checkDisjoint requires that no two ranges of a Want share an entry: a
// responder would otherwise send the same entries once per copy (1,024
// copies of one range made a node send 90,000 times the Want's size).
func checkDisjoint(ranges []Range) error {
	if len(ranges) < 2 {
		return nil
	}
	order := make([]int, len(ranges))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ra, rb := ranges[a], ranges[b]
		if c := bytes.Compare(ra.Feed[:], rb.Feed[:]); c != 0 {
			return c
		}
		return cmp.Compare(ra.From, rb.From)
	})
	for k := 1; k < len(order); k++ {
		prev, cur := ranges[order[k-1]], ranges[order[k]]
		if prev.Feed == cur.Feed && cur.From <= prev.To {
			return fmt.Errorf("%w: range %d overlaps range %d (feed %s, entries %d..%d)", ErrOverlap,
				max(order[k-1], order[k]), min(order[k-1], order[k]), cur.Feed.Fingerprint(), cur.From, min(prev.To, cur.To))
		}
	}
	return nil
}

// check enforces 1 <= From <= To.
func (rg Range) check() error {
	switch {
	case rg.From == 0:
		return fmt.Errorf("%w: from 0", ErrMalformed)
	case rg.From > rg.To:
		return fmt.Errorf("%w: from %d > to %d", ErrMalformed, rg.From, rg.To)
	}
	return nil
}

func (e *Entries) payloadSize() (int, error) {
	if e == nil {
		return 0, fmt.Errorf("%w: nil frame", ErrMalformed)
	}
	switch {
	case len(e.Entries) == 0:
		return 0, fmt.Errorf("%w: no entries", ErrMalformed)
	case len(e.Entries) > MaxEntriesPerFrame:
		return 0, fmt.Errorf("%w: %d entries, limit %d", ErrTooLarge, len(e.Entries), MaxEntriesPerFrame)
	}
	size := 2
	for i, raw := range e.Entries {
		if err := checkEntryLen(uint64(len(raw))); err != nil {
			return 0, fmt.Errorf("entry %d: %w", i, err)
		}
		size += 4 + len(raw)
	}
	return size, nil
}

func (e *Entries) appendPayload(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Entries)))
	for _, raw := range e.Entries {
		b = binary.BigEndian.AppendUint32(b, uint32(len(raw)))
		b = append(b, raw...)
	}
	return b
}

// checkEntryLen enforces 1..MaxEntrySize bytes for an entry in a frame.
func checkEntryLen(n uint64) error {
	switch {
	case n == 0:
		return fmt.Errorf("%w: empty", ErrMalformed)
	case n > MaxEntrySize:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, MaxEntrySize)
	}
	return nil
}

func (*End) payloadSize() (int, error) { return 0, nil }

func (*End) appendPayload(b []byte) []byte { return b }

func (e *SyncError) payloadSize() (int, error) {
	if e == nil {
		return 0, fmt.Errorf("%w: nil frame", ErrMalformed)
	}
	if err := checkSyncMessage(e.Message); err != nil {
		return 0, err
	}
	return 2 + 2 + len(e.Message), nil
}

func (e *SyncError) appendPayload(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, e.Code)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Message)))
	return append(b, e.Message...)
}

// checkSyncMessage enforces at most MaxSyncErrorMessage bytes of UTF-8
// without control characters.
func checkSyncMessage(s string) error {
	if len(s) > MaxSyncErrorMessage {
		return fmt.Errorf("%w: message of %d bytes, limit %d", ErrTooLarge, len(s), MaxSyncErrorMessage)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: message is not UTF-8", ErrMalformed)
	}
	for i, c := range s {
		if unicode.IsControl(c) {
			return fmt.Errorf("%w: control character %U in message at byte %d", ErrMalformed, c, i)
		}
	}
	return nil
}

// count reads a 2-byte count and checks it against limit and against the
// bytes left, at least each bytes per item, before the caller allocates.
func (r *wireReader) count(what string, limit, each int) int {
	n := int(r.uint16())
	switch {
	case r.err != nil:
	case n > limit:
		r.err = fmt.Errorf("%w: %d %s, limit %d", ErrTooLarge, n, what, limit)
	case n*each > len(r.b)-r.off:
		r.err = fmt.Errorf("%w: %d %s need at least %d bytes, %d left", ErrTruncated, n, what, n*each, len(r.b)-r.off)
	default:
		return n
	}
	return 0
}

func (r *wireReader) uint16() uint16 {
	if v := r.next(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

// fail records err, wrapped with the item it concerns, as the reader's error.
func (r *wireReader) fail(item string, i int, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%s %d: %w", item, i, err)
	}
}

// done reports the first error, or ErrMalformed if bytes remain.
func (r *wireReader) done() error {
	if r.err != nil {
		return r.err
	}
	if r.off != len(r.b) {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b)-r.off)
	}
	return nil
}

// hello reads a Hello payload, verifying each receipt.
func (r *wireReader) hello() *Hello {
	h := &Hello{}
	n := r.count("receipts", MaxHelloReceipts, ReceiptSize)
	if n > 0 {
		h.Receipts = make([]*Receipt, 0, n)
	}
	for i := range n {
		rc, err := r.cache.decode(r.next(ReceiptSize))
		if err != nil {
			r.fail("receipt", i, err)
			return nil
		}
		h.Receipts = append(h.Receipts, rc)
	}
	if r.err == nil {
		r.err = checkHello(h.Receipts)
	}
	return h
}

// want reads a Want payload.
func (r *wireReader) want() *Want {
	w := &Want{}
	n := r.count("ranges", MaxWantRanges, rangeSize)
	if n > 0 {
		w.Ranges = make([]Range, n)
	}
	for i := range w.Ranges {
		rg := &w.Ranges[i]
		copy(rg.Feed[:], r.next(len(rg.Feed)))
		rg.From, rg.To = r.uint64(), r.uint64()
		if err := rg.check(); err != nil {
			r.fail("range", i, err)
			return nil
		}
	}
	if err := checkDisjoint(w.Ranges); err != nil {
		r.err = err
		return nil
	}
	return w
}

// entries reads an Entries payload; the entries alias r's bytes.
func (r *wireReader) entries() *Entries {
	n := r.count("entries", MaxEntriesPerFrame, 4)
	if r.err == nil && n == 0 {
		r.err = fmt.Errorf("%w: no entries", ErrMalformed)
	}
	e := &Entries{Entries: make([][]byte, 0, n)}
	for i := range n {
		raw := r.entry()
		if r.err != nil {
			r.err = fmt.Errorf("entry %d: %w", i, r.err)
			return nil
		}
		e.Entries = append(e.Entries, raw)
	}
	return e
}

// entry reads one length-prefixed entry of an Entries payload.
func (r *wireReader) entry() []byte {
	size := r.uint32()
	if r.err == nil {
		r.err = checkEntryLen(uint64(size))
	}
	return r.next(int(size))
}

// syncError reads a SyncError payload.
func (r *wireReader) syncError() *SyncError {
	code := r.uint16()
	n := int(r.uint16())
	if r.err == nil && n > MaxSyncErrorMessage {
		r.err = fmt.Errorf("%w: message of %d bytes, limit %d", ErrTooLarge, n, MaxSyncErrorMessage)
	}
	msg := string(r.next(n))
	if r.err == nil {
		r.err = checkSyncMessage(msg)
	}
	return &SyncError{Code: code, Message: msg}
}
