package blobxfer

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// maxRequests bounds the requests of one stream: a whole blob in ranges
// of one chunk, and its manifest.
const maxRequests = blob.MaxChunks + 1

// serve answers one peer's requests on stream s until it closes its side,
// errs, stalls past the frame timeout or reaches maxRequests.
func (x *Exchanger) serve(s network.Stream) {
	p := s.Conn().RemotePeer()
	if !x.cfg.Admit(p) {
		refuse(s, x.cfg.FrameTimeout, "not a partner")
		return
	}
	if !x.streams.take(p) {
		x.stats.Busy.Add(1)
		refuse(s, x.cfg.FrameTimeout, "busy: too many blob streams at once")
		return
	}
	defer x.streams.put(p)
	defer s.Close()
	for range maxRequests {
		_ = s.SetDeadline(time.Now().Add(x.cfg.FrameTimeout))
		f, err := readFrame(s)
		if err == nil {
			err = x.answer(s, p, f)
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			x.log.Debug("blob stream ended", "peer", p, "err", err)
			if errors.Is(err, ErrBadPeer) && x.cfg.Penalise != nil {
				x.stats.BadPeers.Add(1)
				x.cfg.Penalise(p, err)
			}
			_ = s.Reset()
			return
		}
	}
}

// refuse answers a stream's first request with a refusal and closes it.
func refuse(s network.Stream, timeout time.Duration, reason string) {
	_ = s.SetDeadline(time.Now().Add(timeout))
	_ = writeFrame(s, respRefused, []byte(reason))
	_ = s.Close()
}

// answer answers one request frame.
func (x *Exchanger) answer(s network.Stream, p peer.ID, f frame) error {
	switch f.typ {
	case reqManifest:
		if len(f.payload) != idLen {
			return fmt.Errorf("manifest request of %d bytes: %w", len(f.payload), ErrBadPeer)
		}
		return x.sendManifest(s, p, blob.ID(f.payload))
	case reqChunks:
		r, err := decodeRange(f.payload)
		if err != nil {
			return err
		}
		return x.sendRange(s, p, r)
	default:
		return fmt.Errorf("request type 0x%02x: %w", f.typ, ErrBadPeer)
	}
}

func (x *Exchanger) sendManifest(s network.Stream, p peer.ID, id blob.ID) error {
	_, raw, err := x.cfg.Holder.BlobManifest(id)
	if errors.Is(err, store.ErrNotFound) {
		x.miss(p, id)
		return writeFrame(s, respNotHeld)
	}
	if err != nil {
		return err
	}
	if !x.served.take(p, int64(len(raw))) {
		return writeFrame(s, respRefused, []byte("daily quota spent"))
	}
	return writeFrame(s, respManifest, raw)
}

// sendRange sends the chunks of r that are held, in order, stopping at
// the first one missing, then the end frame. Each chunk is checked first
// (against its CRC-32C, see readChecked): a node never passes on bytes
// altered on its disk. Reading and checking run on the stream's
// goroutine (a goroutine reading ahead cost a hand-over per chunk, and
// on a loaded machine each hand-over waits for a CPU); frames go out
// sendBatch at a time, each batch one write and one hand-over to yamux's
// send loop, which encrypts in parallel.
func (x *Exchanger) sendRange(s network.Stream, p peer.ID, r chunkRange) error {
	m, src, err := x.cfg.Holder.OpenBlob(r.id)
	if errors.Is(err, store.ErrNotFound) {
		x.miss(p, r.id)
		return writeFrame(s, respNotHeld)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	b := newBatch(s, x)
	defer b.release()
	for i := r.from; i < min(r.from+r.count, len(m.Chunks)); i++ {
		frame := x.readChecked(src, r.id, i, b.slot())
		if frame == nil {
			x.miss(p, r.id)
			return b.end(respNotHeld)
		}
		if !x.served.take(p, int64(len(frame)-chunkHeaderLen)) {
			return b.end(respRefused, []byte("daily quota spent"))
		}
		if err := b.add(frame); err != nil {
			return err
		}
	}
	return b.end(respEnd)
}

// sendBatch is how many chunk frames a server writes at once: a pooled
// buffer of about 256 KiB a stream serving, and a quarter of the writes
// and hand-overs to yamux's send loop of a frame per write.
const sendBatch = 4

// batchBufs holds the buffers of batches.
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, sendBatch*(chunkHeaderLen+blob.MaxChunkCiphertext)); return &b }}

// batch gathers frames to write to a stream in one call.
type batch struct {
	s   network.Stream
	x   *Exchanger
	buf *[]byte
	out []byte // the frames gathered, in *buf
	n   int    // chunk frames in out
}

func newBatch(s network.Stream, x *Exchanger) *batch {
	buf := batchBufs.Get().(*[]byte)
	return &batch{s: s, x: x, buf: buf, out: (*buf)[:0]}
}

// slot returns the room after the frames gathered, for a chunk's frame.
func (b *batch) slot() []byte {
	return b.out[len(b.out) : len(b.out)+chunkHeaderLen+blob.MaxChunkCiphertext]
}

// add takes frame, read into slot, and writes the batch once it is full.
func (b *batch) add(frame []byte) error {
	b.out, b.n = b.out[:len(b.out)+len(frame)], b.n+1
	if b.n < sendBatch {
		return nil
	}
	return b.write()
}

// end adds the frame that ends a range (typ and its payload) and writes
// the batch.
func (b *batch) end(typ byte, payload ...[]byte) error {
	b.out = appendFrame(b.out, typ, payload...)
	return b.write()
}

func (b *batch) write() error {
	_ = b.s.SetWriteDeadline(time.Now().Add(b.x.cfg.FrameTimeout))
	_, err := b.s.Write(b.out)
	if err == nil {
		b.x.stats.ChunksServed.Add(uint64(b.n))
	}
	b.out, b.n = b.out[:0], 0
	return err
}

// release returns the batch's buffer to the pool.
func (b *batch) release() { batchBufs.Put(b.buf) }

// drop records a chunk found damaged on disk as not held.
func (x *Exchanger) drop(id blob.ID, i int) {
	if err := x.cfg.Holder.DropBlobChunk(id, i); err != nil {
		x.log.Error("cannot record a damaged blob chunk as missing", "blob", id, "chunk", i, "err", err)
	}
}

// readChecked returns the frame of chunk i of blob id, read into slot
// (room for the largest frame), if it is held and is what was stored
// (its CRC-32C recorded then, else the manifest's hash: [ChunkSource]),
// else nil: a node never passes on bytes altered or cut short on its
// disk.
func (x *Exchanger) readChecked(src ChunkSource, id blob.ID, i int, slot []byte) []byte {
	ct, err := src.ReadCheckedChunk(i, slot[chunkHeaderLen:])
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case errors.Is(err, store.ErrCorrupt):
		x.log.Error("blob chunk on disk is not what was stored; not served, to be fetched again", "blob", id, "chunk", i, "err", err)
		x.drop(id, i)
		return nil
	case err != nil:
		x.log.Error("blob chunk unreadable; not served, to be fetched again", "blob", id, "chunk", i, "err", err)
		x.drop(id, i)
		return nil
	}
	if len(ct) == 0 || &ct[0] != &slot[chunkHeaderLen] { // the source did not read into slot
		copy(slot[chunkHeaderLen:], ct)
	}
	return putChunkHeader(slot[:chunkHeaderLen+len(ct)], i)
}

// miss starts a relay's pull-through of a blob that p asked for and this
// node lacks, within p's daily allowance.
func (x *Exchanger) miss(p peer.ID, id blob.ID) {
	if !x.cfg.Relay || x.busy(id) || !x.relay.take(p, 1) {
		return
	}
	if x.Enqueue(Job{ID: id, MaxSize: blob.MaxSize, Except: p}) {
		x.stats.Relayed.Add(1)
	}
}

// busy reports whether a fetch of id is running.
func (x *Exchanger) busy(id blob.ID) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.inflight[id]
	return ok
}
