package blobxfer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// hostile serves the blobs of st as a real peer would, with tamper
// applied to every response frame it writes.
func hostile(t testing.TB, st *store.Store, tamper func(typ byte, payload []byte) []byte) *node {
	h := newHost(t)
	h.SetStreamHandler(ProtocolID, func(s network.Stream) {
		defer s.Close()
		for {
			f, err := readFrame(s)
			if err != nil {
				return
			}
			id := blob.ID(f.payload[:idLen])
			m, raw, err := st.BlobManifest(id)
			if err != nil {
				return
			}
			if f.typ == reqManifest {
				_ = writeFrame(s, respManifest, tamper(respManifest, bytes.Clone(raw)))
				continue
			}
			r, _ := decodeRange(f.payload)
			for i := r.from; i < min(r.from+r.count, len(m.Chunks)); i++ {
				ct := chunkOf(t, st, id, i)
				_ = writeFrame(s, respChunk, tamper(respChunk, append(binary.BigEndian.AppendUint32(nil, uint32(i)), ct...)))
			}
			_ = writeFrame(s, respEnd)
		}
	})
	return &node{h: h, st: st}
}

// TestHostilePeerRefusedAndPenalised: a peer that serves a flipped bit,
// a chunk of the wrong position or a manifest of another blob is
// penalised, nothing it sent is stored as good, and the fetch completes
// from an honest peer.
func TestHostilePeerRefusedAndPenalised(t *testing.T) {
	in := newNode(t, nil)
	f := sealInto(t, in.st, 4*blob.ChunkSize+3, 6)
	other := sealInto(t, in.st, 10, 7)
	_, otherManifest, _ := in.st.BlobManifest(other.id)
	tampers := map[string]func(byte, []byte) []byte{
		"flipped bit": func(typ byte, p []byte) []byte {
			if typ == respChunk && binary.BigEndian.Uint32(p) == 2 {
				p[100] ^= 1
			}
			return p
		},
		"wrong position": func(typ byte, p []byte) []byte {
			if typ == respChunk && binary.BigEndian.Uint32(p) == 1 {
				binary.BigEndian.PutUint32(p, 2)
			}
			return p
		},
		"foreign manifest": func(typ byte, p []byte) []byte {
			if typ == respManifest {
				return bytes.Clone(otherManifest)
			}
			return p
		},
	}
	for name, tamper := range tampers {
		t.Run(name, func(t *testing.T) {
			bad := hostile(t, in.st, tamper)
			be := newNode(t, nil)
			connect(t, be, bad)
			connect(t, be, in)
			err := be.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: f.size}, []peer.ID{bad.h.ID(), in.h.ID()})
			if err != nil {
				t.Fatalf("fetch did not move on to the honest peer: %v", err)
			}
			if p := be.penalties(); !slices.Equal(p, []peer.ID{bad.h.ID()}) {
				t.Fatalf("penalised %v, want only the hostile peer", p)
			}
			opens(t, be.st, f)
			if be.x.Stats().BadPeers.Load() != 1 {
				t.Fatal("bad peer not counted")
			}
		})
	}
	t.Run("alone", func(t *testing.T) {
		bad := hostile(t, in.st, tampers["flipped bit"])
		be := newNode(t, nil)
		connect(t, be, bad)
		err := be.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: f.size}, []peer.ID{bad.h.ID()})
		if !errors.Is(err, ErrBadPeer) || !errors.Is(err, blob.ErrChunk) {
			t.Fatalf("fetch from a hostile peer alone = %v, want ErrBadPeer and ErrChunk", err)
		}
		if first, _ := be.st.BlobFirstMissing(f.id, mustManifest(t, be.st, f.id)); first != 2 {
			t.Fatalf("first missing %d, want 2: the flipped chunk must not be stored", first)
		}
	})
}

// TestFetchStopsAtBadChunk: chunks are checked on a goroutine of their
// own while the next are read; once one fails, the fetch stops reading
// and asking (it does not take the rest of a hostile peer's blob) and
// fails with the check's error, not the reader's.
func TestFetchStopsAtBadChunk(t *testing.T) {
	in := newNode(t, nil)
	f := sealInto(t, in.st, 64*blob.ChunkSize, 8)
	var sent atomic.Int64
	bad := hostile(t, in.st, func(typ byte, p []byte) []byte {
		if typ == respChunk && sent.Add(1) == 1 {
			p[100] ^= 1
		}
		return p
	})
	be := newNode(t, func(c *Config) { c.RangeChunks = 1 })
	connect(t, be, bad)
	err := be.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: f.size}, []peer.ID{bad.h.ID()})
	if !errors.Is(err, ErrBadPeer) || !errors.Is(err, blob.ErrChunk) {
		t.Fatalf("fetch = %v, want ErrBadPeer and ErrChunk", err)
	}
	if n, most := sent.Load(), int64(pipelineDepth+storerDepth+2); n > most {
		t.Fatalf("%d chunks taken after a bad first one, want at most %d", n, most)
	}
	if first, _ := be.st.BlobFirstMissing(f.id, mustManifest(t, be.st, f.id)); first != 0 {
		t.Fatalf("first missing %d, want 0: the bad chunk must not be stored", first)
	}
}

// TestMalformedRequestPenalised: a peer that sends the server what no
// correct peer sends (an unknown request, a range out of bounds, an
// oversized frame) is penalised and its stream reset.
func TestMalformedRequestPenalised(t *testing.T) {
	in := newNode(t, nil)
	bad := newHost(t)
	frames := [][]byte{
		{0, 0, 0, 1, 0x7f},
		append([]byte{0, 0, 0, 41, reqChunks}, chunkRange{from: blob.MaxChunks, count: 1}.encode()...),
		binary.BigEndian.AppendUint32(nil, maxFrame+1),
	}
	for i, fr := range frames {
		ctx := fetchCtx(t)
		if err := bad.Connect(ctx, peer.AddrInfo{ID: in.h.ID(), Addrs: in.h.Addrs()}); err != nil {
			t.Fatal(err)
		}
		s, err := bad.NewStream(ctx, in.h.ID(), ProtocolID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(fr); err != nil {
			t.Fatal(err)
		}
		if _, err := readFrame(s); err == nil {
			t.Fatalf("frame %d answered", i)
		}
		_ = s.Close()
		deadline := time.Now().Add(10 * time.Second)
		for len(in.penalties()) != i+1 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // bounded by the deadline
		}
		if p := in.penalties(); len(p) != i+1 || p[i] != bad.ID() {
			t.Fatalf("after frame %d: penalised %v, want the sender %d times", i, p, i+1)
		}
	}
}

func TestReadFrameBounds(t *testing.T) {
	var b bytes.Buffer
	b.Write(binary.BigEndian.AppendUint32(nil, maxFrame+1))
	if _, err := readFrame(&b); !errors.Is(err, ErrBadPeer) {
		t.Fatalf("oversized frame: %v", err)
	}
	b.Reset()
	b.Write([]byte{0, 0, 0, 0})
	if _, err := readFrame(&b); !errors.Is(err, ErrBadPeer) {
		t.Fatalf("empty frame: %v", err)
	}
	for _, r := range []chunkRange{{from: 0, count: 0}, {from: 0, count: MaxRangeChunks + 1}, {from: blob.MaxChunks, count: 1}} {
		if _, err := decodeRange(r.encode()); !errors.Is(err, ErrBadPeer) {
			t.Errorf("range %d+%d accepted", r.from, r.count)
		}
	}
}

// FuzzReadFrame: no input makes readFrame allocate past maxFrame or
// panic, and a decoded range is always within bounds.
func FuzzReadFrame(f *testing.F) {
	f.Add(append(binary.BigEndian.AppendUint32(nil, 41), append([]byte{reqChunks}, chunkRange{from: 3, count: 4}.encode()...)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := readFrame(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(fr.payload)+1 > maxFrame {
			t.Fatal("frame past the bound")
		}
		if r, err := decodeRange(fr.payload); err == nil && (r.count < 1 || r.count > MaxRangeChunks || r.from >= blob.MaxChunks) {
			t.Fatal("range out of bounds accepted")
		}
	})
}
