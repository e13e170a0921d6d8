package blobxfer

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/kpnode/kpnode/blob"
)

// ProtocolID is the libp2p protocol of blob transfer.
const ProtocolID = "/kpnode/blob/1.0.0"

// Frame types. A frame is a 4-byte big-endian length, then the type byte
// and its payload; no frame exceeds maxFrame.
const (
	reqManifest  = 0x01 // id(32)
	reqChunks    = 0x02 // id(32) from(4) count(4)
	respManifest = 0x81 // manifest bytes
	respChunk    = 0x82 // index(4) ciphertext
	respEnd      = 0x83 // end of a range
	respNotHeld  = 0x84 // the manifest or the next chunk is not held
	respRefused  = 0x85 // reason text
)

const (
	// maxFrame bounds every frame: a chunk and its header.
	maxFrame = 1 + 4 + blob.MaxChunkCiphertext
	// MaxRangeChunks caps the chunks one request asks for.
	MaxRangeChunks = 64
	idLen          = len(blob.ID{})
)

// frame is one decoded frame.
type frame struct {
	typ     byte
	payload []byte
}

func writeFrame(w io.Writer, typ byte, parts ...[]byte) error {
	_, err := w.Write(appendFrame(nil, typ, parts...))
	return err
}

// appendFrame appends the frame of typ whose payload is parts to b.
func appendFrame(b []byte, typ byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, typ)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// chunkHeaderLen is the length of a chunk frame's header: length(4)
// type(1) index(4).
const chunkHeaderLen = 4 + 1 + 4

// putChunkHeader writes into the first chunkHeaderLen bytes of frame the
// header of chunk i, whose ciphertext fills the rest, and returns frame.
func putChunkHeader(frame []byte, i int) []byte {
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	frame[4] = respChunk
	binary.BigEndian.PutUint32(frame[5:], uint32(i))
	return frame
}

// readFrame reads one frame, refusing a length over maxFrame before
// allocating.
func readFrame(r io.Reader) (frame, error) { return readFrameInto(r, nil) }

// readFrameInto is readFrame reading into buf when it is large enough:
// the frame's payload then aliases buf.
func readFrameInto(r io.Reader, buf []byte) (frame, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n == 0 || n > maxFrame {
		return frame{}, fmt.Errorf("read frame: length %d, want 1..%d: %w", n, maxFrame, ErrBadPeer)
	}
	b := buf[:0]
	if cap(b) < int(n) {
		b = make([]byte, n)
	}
	b = b[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		return frame{}, fmt.Errorf("read frame: %w", err)
	}
	return frame{typ: b[0], payload: b[1:]}, nil
}

// chunkRange is a request for count chunks of id from index from.
type chunkRange struct {
	id          blob.ID
	from, count int
}

func (c chunkRange) encode() []byte {
	b := append([]byte{}, c.id[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(c.from))
	return binary.BigEndian.AppendUint32(b, uint32(c.count))
}

// decodeRange decodes a reqChunks payload.
func decodeRange(p []byte) (chunkRange, error) {
	if len(p) != idLen+8 {
		return chunkRange{}, fmt.Errorf("decode chunk request: %d bytes, want %d: %w", len(p), idLen+8, ErrBadPeer)
	}
	c := chunkRange{id: blob.ID(p[:idLen]), from: int(binary.BigEndian.Uint32(p[idLen:])), count: int(binary.BigEndian.Uint32(p[idLen+4:]))}
	if c.count < 1 || c.count > MaxRangeChunks || c.from >= blob.MaxChunks {
		return chunkRange{}, fmt.Errorf("decode chunk request: chunks %d+%d out of bounds: %w", c.from, c.count, ErrBadPeer)
	}
	return c, nil
}

// decodeChunk splits a respChunk payload.
func decodeChunk(p []byte) (int, []byte, error) {
	if len(p) < 4 {
		return 0, nil, fmt.Errorf("decode chunk frame: %d bytes: %w", len(p), ErrBadPeer)
	}
	return int(binary.BigEndian.Uint32(p)), p[4:], nil
}
