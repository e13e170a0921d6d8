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
// the first one missing, then the end frame. Each chunk is checked
// against the manifest first: a node never passes on bytes altered on
// its disk. Reading and checking run on the stream's goroutine: a
// goroutine reading ahead cost a hand-over per chunk, and on a loaded
// machine each hand-over waits for a CPU, while the write only copies the
// frame into yamux's buffer (its send loop encrypts in parallel).
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
	for i := r.from; i < min(r.from+r.count, len(m.Chunks)); i++ {
		c := x.readChecked(src, m, r.id, i)
		if c.frame == nil {
			x.miss(p, r.id)
			return writeFrame(s, respNotHeld)
		}
		if !x.served.take(p, int64(len(c.frame)-chunkHeaderLen)) {
			chunkFrames.Put(c.buf)
			return writeFrame(s, respRefused, []byte("daily quota spent"))
		}
		_ = s.SetWriteDeadline(time.Now().Add(x.cfg.FrameTimeout))
		_, err := s.Write(c.frame)
		chunkFrames.Put(c.buf)
		if err != nil {
			return err
		}
		x.stats.ChunksServed.Add(1)
	}
	return writeFrame(s, respEnd)
}

// chunkFrames holds the frame buffers a server reads chunks into, just
// after room for the frame's header, so that each chunk goes out in one
// write and no buffer is allocated per chunk.
var chunkFrames = sync.Pool{New: func() any { b := make([]byte, chunkHeaderLen+blob.MaxChunkCiphertext); return &b }}

// readChunk is a chunk read as a whole frame, in buf; frame is nil when
// it is not held (or fails its check), which ends the range.
type readChunk struct {
	frame []byte
	buf   *[]byte
}

// drop records a chunk found damaged on disk as not held.
func (x *Exchanger) drop(id blob.ID, i int) {
	if err := x.cfg.Holder.DropBlobChunk(id, i); err != nil {
		x.log.Error("cannot record a damaged blob chunk as missing", "blob", id, "chunk", i, "err", err)
	}
}

// readChecked returns the frame of chunk i of blob id if it is held and
// matches m, else no frame: a node never passes on bytes altered or cut
// short on its disk.
func (x *Exchanger) readChecked(src ChunkSource, m *blob.Manifest, id blob.ID, i int) readChunk {
	buf := chunkFrames.Get().(*[]byte)
	ct, err := src.ReadChunk(i, (*buf)[chunkHeaderLen:])
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		x.log.Error("blob chunk unreadable; not served, to be fetched again", "blob", id, "chunk", i, "err", err)
		x.drop(id, i)
	case m.Verify(i, ct) != nil:
		x.log.Error("blob chunk on disk fails its manifest; not served, to be fetched again", "blob", id, "chunk", i)
		x.drop(id, i)
	case len(ct) > 0 && &ct[0] == &(*buf)[chunkHeaderLen]:
		return readChunk{frame: putChunkHeader((*buf)[:chunkHeaderLen+len(ct)], i), buf: buf}
	default: // the source did not read into buf
		return readChunk{frame: appendChunkFrame(nil, i, ct), buf: buf}
	}
	chunkFrames.Put(buf)
	return readChunk{}
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
