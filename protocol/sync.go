package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kpnode/kpnode/crypto"
)

// Sync protocol constants. docs/protocol.md §11 specifies the frames and the
// session.
const (
	// SyncProtocolID is the libp2p protocol ID of the sync stream.
	SyncProtocolID = "/kpnode/sync/1.0.0"
	// MaxFrameSize caps the payload of one frame (after its type byte), in
	// bytes: one entry of MaxEntrySize fits with room to spare.
	MaxFrameSize = MaxEntrySize + 64<<10
	// MaxHelloReceipts caps the receipts in a [Hello].
	MaxHelloReceipts = 1024
	// MaxWantRanges caps the ranges in a [Want].
	MaxWantRanges = 1024
	// MaxEntriesPerFrame caps the entries in an [Entries] frame.
	MaxEntriesPerFrame = 4096
	// MaxSyncErrorMessage caps the message of a [SyncError], in bytes.
	MaxSyncErrorMessage = 1024
	// WantBatch is the maxPerRange an initiator passes to [WantFor]: the
	// most entries of one feed it asks for in one Want. Each Want costs a
	// round trip during which the initiator's cores idle (it has appended
	// the last answer, the responder has not sent the next): at 1000 that
	// stall was a tenth of a catch-up's time.
	WantBatch = 8192
)

// lengthPrefixSize is the size of the length before every frame on a stream.
const lengthPrefixSize = 4

// FrameType is the first byte of an encoded frame.
type FrameType uint8

// Frame types.
const (
	FrameHello   FrameType = 1
	FrameWant    FrameType = 2
	FrameEntries FrameType = 3
	FrameEnd     FrameType = 4
	FrameError   FrameType = 5
)

// String returns the frame type's name as used in error messages.
func (t FrameType) String() string {
	switch t {
	case FrameHello:
		return "hello"
	case FrameWant:
		return "want"
	case FrameEntries:
		return "entries"
	case FrameEnd:
		return "end"
	case FrameError:
		return "error"
	}
	return "type " + strconv.Itoa(int(t))
}

// Frame is one message of the sync protocol: *[Hello], *[Want], *[Entries],
// *[End] or *[SyncError]. [DecodeFrame] and [ReadFrame] return these pointer
// types.
type Frame interface{ Type() FrameType }

// Hello announces the sender's heads, each as a receipt it signed: one per
// feed it holds, its own feed included. All receipts have the same Signer
// and distinct Feeds.
type Hello struct {
	Receipts []*Receipt // each from NewReceipt or DecodeReceipt
}

// Range names entries From..To (inclusive) of one feed; 1 <= From <= To.
type Range struct {
	Feed     crypto.PublicKey
	From, To uint64
}

// Want asks for entries. A Want with no ranges means "nothing more,
// goodbye".
type Want struct {
	Ranges []Range
}

// Entries carries raw entry wire bytes, in ascending order per feed. They
// are not decoded here: receivers verify each with [DecodeEntry] and the
// chain with [Entry.Follows], whoever relayed them.
type Entries struct {
	Entries [][]byte
}

// End closes the answer to one [Want].
type End struct{}

// SyncError tells the peer why the sender gives up on the session. Message
// is at most [MaxSyncErrorMessage] bytes of UTF-8 without control
// characters. A *SyncError is also an error.
type SyncError struct {
	Code    uint16 // one of the SyncCode constants; others mean SyncCodeInternal
	Message string
}

// Codes of a [SyncError].
const (
	SyncCodeProtocol uint16 = 1 // a frame was malformed, forged or out of turn
	SyncCodeRefused  uint16 = 2 // the peer is not a partner of the sender
	SyncCodeBusy     uint16 = 3 // the sender has too many sessions; retry later
	SyncCodeInternal uint16 = 4 // the sender failed locally (storage, shutdown)
)

// Type returns FrameHello.
func (*Hello) Type() FrameType { return FrameHello }

// Type returns FrameWant.
func (*Want) Type() FrameType { return FrameWant }

// Type returns FrameEntries.
func (*Entries) Type() FrameType { return FrameEntries }

// Type returns FrameEnd.
func (*End) Type() FrameType { return FrameEnd }

// Type returns FrameError.
func (*SyncError) Type() FrameType { return FrameError }

// NewSyncError returns a SyncError whose message is msg made valid: invalid
// UTF-8 and control characters become U+FFFD and a space, and it is cut to
// at most MaxSyncErrorMessage bytes on a character boundary. Use it to send
// an error's text, which may break the message rules.
func NewSyncError(code uint16, msg string) *SyncError {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, msg)
	if len(msg) > MaxSyncErrorMessage {
		cut := MaxSyncErrorMessage
		for !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	return &SyncError{Code: code, Message: msg}
}

// Error returns the code and the peer's message.
func (e *SyncError) Error() string {
	return fmt.Sprintf("sync error %d: %s", e.Code, e.Message)
}

// EncodeFrame returns the type byte and payload of f, without a length
// prefix. It refuses frames that break a limit or a rule that [DecodeFrame]
// enforces.
func EncodeFrame(f Frame) ([]byte, error) { return appendFrame(nil, f) }

// DecodeFrame decodes one frame (type byte and payload) from untrusted bytes.
// Every count and length is checked against its limit and the bytes left
// before anything is allocated; the receipts of a Hello are verified. It
// copies b. On error the frame is nil.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) > 1+MaxFrameSize {
		return nil, fmt.Errorf("decode frame: %w: %d bytes, limit %d", ErrTooLarge, len(b), 1+MaxFrameSize)
	}
	return decodeFrame(bytes.Clone(b), nil)
}

// WriteFrame writes f with its 4-byte length prefix in a single Write call.
// Nothing is written if f cannot be encoded.
func WriteFrame(w io.Writer, f Frame) error {
	b, err := appendFrame(make([]byte, lengthPrefixSize), f)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-lengthPrefixSize))
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write %s frame: %w", f.Type(), err)
	}
	return nil
}

// ReadFrame reads one length-prefixed frame and decodes it. It refuses a
// length over 1+MaxFrameSize before allocating ([ErrTooLarge]). At a clean
// end of stream, before any byte of a frame, it returns io.EOF itself; a
// stream that ends inside a frame gives an error wrapping both
// [ErrTruncated] and io.ErrUnexpectedEOF. Deadlines are the caller's: set
// them on the stream.
func ReadFrame(r io.Reader) (Frame, error) { return ReadFrameCached(r, nil) }

// ReadFrameCached is [ReadFrame] with a cache of receipts already
// verified: a receipt whose exact bytes are in the cache is not verified
// again. A nil cache verifies every receipt.
func ReadFrameCached(r io.Reader, cache *ReceiptCache) (Frame, error) {
	var prefix [lengthPrefixSize]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, readError(err)
	}
	n := binary.BigEndian.Uint32(prefix[:])
	if n > 1+MaxFrameSize {
		return nil, fmt.Errorf("read frame: %w: length %d, limit %d", ErrTooLarge, n, 1+MaxFrameSize)
	}
	b, err := readAsArriving(r, int(n))
	if err != nil {
		return nil, readError(err)
	}
	return decodeFrame(b, cache)
}

// frameChunk is how much of an announced frame is allocated ahead of its
// bytes: a peer that announces a maximal frame and stalls makes the reader
// hold what it sent plus this, not the announced length.
const frameChunk = 64 << 10

// readAsArriving reads exactly n bytes into a buffer that doubles as they
// arrive.
func readAsArriving(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, 0, min(n, frameChunk))
	for len(b) < n {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(n-len(b), cap(b)))
		}
		m, err := io.ReadFull(r, b[len(b):min(n, cap(b))])
		b = b[:len(b)+m]
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// readError wraps an error of io.ReadFull inside a frame.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("read frame: %w: %w", ErrTruncated, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("read frame: %w", err)
}

// WantFor returns the ranges to ask a peer for, given the local and remote
// head seq of each feed: for each feed where remote > local and accept(feed)
// (nil accepts all), the range local+1 .. min(remote, local+maxPerRange). A
// maxPerRange of 0 means no cap. The ranges are sorted by feed key bytes; at
// most MaxWantRanges are returned (the rest come in a later round).
func WantFor(local, remote map[crypto.PublicKey]uint64, accept func(crypto.PublicKey) bool, maxPerRange uint64) []Range {
	var want []Range
	for feed, to := range remote {
		have := local[feed]
		if to <= have || (accept != nil && !accept(feed)) {
			continue
		}
		if maxPerRange > 0 && to-have > maxPerRange {
			to = have + maxPerRange
		}
		want = append(want, Range{Feed: feed, From: have + 1, To: to})
	}
	slices.SortFunc(want, func(a, b Range) int { return bytes.Compare(a.Feed[:], b.Feed[:]) })
	if len(want) > MaxWantRanges {
		want = slices.Clip(want[:MaxWantRanges])
	}
	return want
}
