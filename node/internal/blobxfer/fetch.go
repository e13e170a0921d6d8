package blobxfer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Fetch gets blob j.ID from the first of peers that holds it, resuming
// at the first chunk missing, and returns once every chunk is stored. A
// peer that sends invalid data is reported to Config.Penalise and the
// next one is asked.
func (x *Exchanger) Fetch(ctx context.Context, j Job, peers []peer.ID) error {
	leave, err := x.enter(ctx, j.ID)
	if err != nil {
		return err
	}
	defer leave()
	if done, err := x.cfg.Holder.BlobComplete(j.ID); done || err != nil {
		return err
	}
	errs := []error{}
	for _, p := range peers {
		err := x.fetchFrom(ctx, p, j)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrBadPeer) {
			x.stats.BadPeers.Add(1)
			if x.cfg.Penalise != nil {
				x.cfg.Penalise(p, err)
			}
		}
		errs = append(errs, fmt.Errorf("peer %s: %w", p.ShortString(), err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return fmt.Errorf("fetch blob %s: no peer to ask: %w", j.ID, ErrNotHeld)
	}
	return fmt.Errorf("fetch blob %s: %w", j.ID, errors.Join(errs...))
}

// fetchFrom runs one session with p.
func (x *Exchanger) fetchFrom(ctx context.Context, p peer.ID, j Job) error {
	s, err := x.cfg.Net.OpenStream(ctx, p, ProtocolID)
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	err = x.session(s, p, j)
	if err != nil {
		_ = s.Reset()
		return err
	}
	_ = s.Close()
	return x.cfg.Holder.MarkBlobComplete(j.ID)
}

func (x *Exchanger) session(s network.Stream, p peer.ID, j Job) error {
	m, err := x.manifest(s, p, j)
	if err != nil {
		return err
	}
	first, err := x.cfg.Holder.BlobFirstMissing(j.ID, m)
	if err != nil {
		return err
	}
	sink, err := x.cfg.Holder.NewChunkSink(j.ID, m)
	if err != nil {
		return err
	}
	err = x.pull(s, p, j.ID, m, first, sink)
	return errors.Join(err, sink.Flush()) // what came is kept: a later fetch resumes after it
}

// pipelineDepth is how many ranges are asked for ahead: the peer sends
// the next while this node checks and stores the last.
const pipelineDepth = 2

// pull asks for the chunks of m from first on, pipelineDepth ranges at a
// time, and puts each into sink once checked. Frames are read on this
// goroutine and checked and stored on a [storer]'s, so that reading the
// stream, hashing and writing run on both cores at once.
func (x *Exchanger) pull(s network.Stream, p peer.ID, id blob.ID, m *blob.Manifest, first int, sink ChunkSink) error {
	st := x.newStorer(p, m, sink)
	err := x.request(s, id, m, first, st)
	if serr := st.wait(); serr != nil {
		return serr // the storer's error (a bad chunk) is the cause; the reader's is its consequence
	}
	return err
}

// request asks for the ranges of m from first on and passes each chunk
// frame that comes to st.
func (x *Exchanger) request(s network.Stream, id blob.ID, m *blob.Manifest, first int, st *storer) error {
	n, next := len(m.Chunks), first
	var asked []chunkRange
	ask := func() error {
		r := chunkRange{id: id, from: next, count: min(x.cfg.RangeChunks, n-next)}
		asked, next = append(asked, r), next+r.count
		if err := writeFrame(s, reqChunks, r.encode()); err != nil {
			return fmt.Errorf("ask for chunks %d+%d: %w", r.from, r.count, err)
		}
		return nil
	}
	for len(asked) > 0 || next < n {
		for len(asked) < pipelineDepth && next < n {
			if err := ask(); err != nil {
				return err
			}
		}
		r := asked[0]
		asked = asked[1:]
		got, err := x.readRange(s, r, st)
		if err != nil {
			return err
		}
		if got < r.count {
			return fmt.Errorf("chunk %d: %w", r.from+got, ErrNotHeld)
		}
	}
	return nil
}

// manifest returns the blob's manifest, from the holder or else from p,
// refused when it is larger than the job allows: a manifest held already
// may have come for another record, or a relay's pull-through of any size.
func (x *Exchanger) manifest(s network.Stream, p peer.ID, j Job) (*blob.Manifest, error) {
	m, _, err := x.cfg.Holder.BlobManifest(j.ID)
	if err == nil {
		return m, checkSize(m, j)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err := writeFrame(s, reqManifest, j.ID[:]); err != nil {
		return nil, fmt.Errorf("ask for manifest: %w", err)
	}
	f, err := x.read(s)
	if err != nil || f.typ != respManifest {
		return nil, x.unexpected(f, err, "manifest")
	}
	if !x.fetched.take(p, int64(len(f.payload))) {
		return nil, fmt.Errorf("manifest: %w", ErrQuota)
	}
	m, err = blob.DecodeManifest(f.payload, j.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPeer, err)
	}
	if err := checkSize(m, j); err != nil {
		return nil, err
	}
	return m, x.cfg.Holder.PutBlobManifest(j.ID, f.payload)
}

// checkSize refuses a manifest larger than the job allows.
func checkSize(m *blob.Manifest, j Job) error {
	if m.Size > j.MaxSize {
		return fmt.Errorf("manifest: %d bytes, limit %d: %w", m.Size, j.MaxSize, ErrQuota)
	}
	return nil
}

// readRange passes the chunk frames p sends for r to st and returns how
// many came before the end of the range.
func (x *Exchanger) readRange(s network.Stream, r chunkRange, st *storer) (int, error) {
	for got := 0; ; got++ {
		buf := chunkFrames.Get().(*[]byte)
		_ = s.SetReadDeadline(time.Now().Add(x.cfg.FrameTimeout))
		f, err := readFrameInto(s, *buf)
		if err != nil || f.typ != respChunk || got == r.count {
			chunkFrames.Put(buf)
		}
		switch {
		case err == nil && (f.typ == respEnd || f.typ == respNotHeld):
			return got, nil
		case err != nil || f.typ != respChunk:
			return got, x.unexpected(f, err, "chunk")
		case got == r.count:
			return got, fmt.Errorf("chunk past the %d asked for: %w", r.count, ErrBadPeer)
		}
		if err := st.put(r.from+got, f.payload, buf); err != nil {
			return got, err
		}
	}
}

func (x *Exchanger) checkChunk(p peer.ID, m *blob.Manifest, want int, payload []byte) ([]byte, error) {
	i, ct, err := decodeChunk(payload)
	if err != nil {
		return nil, err
	}
	if i != want {
		return nil, fmt.Errorf("chunk %d sent where %d was due: %w", i, want, ErrBadPeer)
	}
	if err := m.Verify(i, ct); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPeer, err)
	}
	if !x.fetched.take(p, int64(len(ct))) {
		return nil, fmt.Errorf("chunk %d: %w", i, ErrQuota)
	}
	return ct, nil
}

// read reads one response frame within the frame timeout.
func (x *Exchanger) read(s network.Stream) (frame, error) {
	_ = s.SetReadDeadline(time.Now().Add(x.cfg.FrameTimeout))
	return readFrame(s)
}

// unexpected turns a failed read or a frame of the wrong type into the
// session's error.
func (x *Exchanger) unexpected(f frame, err error, want string) error {
	switch {
	case err != nil:
		return fmt.Errorf("read %s: %w", want, err)
	case f.typ == respNotHeld:
		return fmt.Errorf("%s: %w", want, ErrNotHeld)
	case f.typ == respRefused:
		return fmt.Errorf("%s: %q: %w", want, truncate(f.payload), ErrRefused)
	}
	return fmt.Errorf("frame type 0x%02x where a %s was due: %w", f.typ, want, ErrBadPeer)
}

func truncate(b []byte) string { return string(b[:min(len(b), 100)]) }
