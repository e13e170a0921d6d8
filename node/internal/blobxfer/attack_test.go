package blobxfer

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// rawStream opens a blob stream from h to n, as a hostile partner would.
func rawStream(t testing.TB, h host.Host, n *node) network.Stream {
	t.Helper()
	ctx := fetchCtx(t)
	if err := h.Connect(ctx, peer.AddrInfo{ID: n.h.ID(), Addrs: n.h.Addrs()}); err != nil {
		t.Fatal(err)
	}
	s, err := h.NewStream(ctx, n.h.ID(), ProtocolID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Reset() })
	_ = s.SetDeadline(time.Now().Add(30 * time.Second))
	return s
}

// TestRepeatedChunksChargeQuota: a partner that asks for the same chunk
// over and over is charged for every copy sent, and refused once its
// daily quota is spent.
func TestRepeatedChunksChargeQuota(t *testing.T) {
	in := newNode(t, func(c *Config) { c.ServeBytesPerDay = 4 * blob.MaxChunkCiphertext })
	f := sealInto(t, in.st, 2*blob.ChunkSize, 11)
	s := rawStream(t, newHost(t), in)
	sent := 0
	for range 10 {
		if err := writeFrame(s, reqChunks, chunkRange{id: f.id, from: 0, count: 1}.encode()); err != nil {
			t.Fatal(err)
		}
		fr, err := readFrame(s)
		if err != nil {
			t.Fatal(err)
		}
		if fr.typ == respRefused {
			break
		}
		if fr.typ != respChunk {
			t.Fatalf("answer 0x%02x, want a chunk", fr.typ)
		}
		sent++
		if fr, err = readFrame(s); err != nil || fr.typ != respEnd {
			t.Fatalf("after the chunk: 0x%02x, %v; want the end of the range", fr.typ, err)
		}
	}
	if sent != 4 {
		t.Fatalf("sent the same chunk %d times within a quota of 4 chunks, want 4 then a refusal", sent)
	}
}

// TestFetcherRefusesFrameOverBound: a peer that answers with a length
// prefix past the frame bound (4 GiB, or one byte over) is penalised
// before anything is allocated for it, and nothing is stored.
func TestFetcherRefusesFrameOverBound(t *testing.T) {
	in := newNode(t, nil)
	f := sealInto(t, in.st, blob.ChunkSize, 12)
	for _, n := range []uint32{maxFrame + 1, 1<<32 - 1} {
		bad := newHost(t)
		bad.SetStreamHandler(ProtocolID, func(s network.Stream) {
			defer s.Close()
			if _, err := readFrame(s); err == nil {
				_, _ = s.Write(binary.BigEndian.AppendUint32(nil, n))
			}
		})
		be := newNode(t, nil)
		if err := be.h.Connect(fetchCtx(t), peer.AddrInfo{ID: bad.ID(), Addrs: bad.Addrs()}); err != nil {
			t.Fatal(err)
		}
		err := be.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: f.size}, []peer.ID{bad.ID()})
		if !errors.Is(err, ErrBadPeer) {
			t.Fatalf("length %d: %v, want ErrBadPeer", n, err)
		}
		if p := be.penalties(); len(p) != 1 || p[0] != bad.ID() {
			t.Fatalf("length %d: penalised %v, want the peer once", n, p)
		}
		if _, _, err := be.st.BlobManifest(f.id); err == nil {
			t.Fatalf("length %d: a manifest was stored", n)
		}
	}
}

// TestHeldManifestOverStatedSize: a fetch for a record that states a
// smaller size than the blob's manifest is refused even when this node
// already holds the manifest (fetched for another record, or by a relay
// pull-through, which accepts any size): a record cannot make this node
// fetch more than it states.
func TestHeldManifestOverStatedSize(t *testing.T) {
	in := newNode(t, nil)
	f := sealInto(t, in.st, 3*blob.ChunkSize, 13)
	be := newNode(t, nil)
	connect(t, be, in)
	_, raw, err := in.st.BlobManifest(f.id)
	if err != nil {
		t.Fatal(err)
	}
	if err := be.st.PutBlobManifest(f.id, raw); err != nil {
		t.Fatal(err)
	}
	err = be.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: 10}, []peer.ID{in.h.ID()})
	if !errors.Is(err, ErrQuota) {
		t.Fatalf("record stating 10 bytes for a blob of %d: %v, want ErrQuota", f.size, err)
	}
	if n := in.x.Stats().ChunksServed.Load(); n != 0 {
		t.Fatalf("%d chunks fetched past the record's stated size", n)
	}
}

// TestStreamsPerPeerBounded: a partner cannot hold more than
// StreamsPerPeer blob streams served at once (each can hold a goroutine,
// an open blob file and a chunk buffer for the frame timeout): one more
// is refused as busy, without a penalty, and a slot freed is served again.
func TestStreamsPerPeerBounded(t *testing.T) {
	const limit = 3
	in := newNode(t, func(c *Config) { c.StreamsPerPeer = limit })
	f := sealInto(t, in.st, 10, 14)
	h := newHost(t)
	ask := func(s network.Stream) byte {
		t.Helper()
		if err := writeFrame(s, reqManifest, f.id[:]); err != nil {
			return 0
		}
		fr, err := readFrame(s)
		if err != nil {
			return 0
		}
		return fr.typ
	}
	var held []network.Stream
	for i := range limit {
		s := rawStream(t, h, in)
		if typ := ask(s); typ != respManifest {
			t.Fatalf("stream %d: answer 0x%02x, want the manifest", i, typ)
		}
		held = append(held, s)
	}
	extra := rawStream(t, h, in)
	if typ := ask(extra); typ != respRefused {
		t.Fatalf("stream %d of one partner: answer 0x%02x, want a refusal", limit+1, typ)
	}
	if in.x.Stats().Busy.Load() != 1 {
		t.Fatal("the busy refusal was not counted")
	}
	_ = held[0].CloseWrite() // the server's loop reads EOF and frees the slot
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := rawStream(t, h, in)
		typ := ask(s)
		if typ == respManifest {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a stream ended: answer 0x%02x, want the manifest", typ)
		}
		_ = s.Reset()
		time.Sleep(20 * time.Millisecond) // bounded by the deadline
	}
	if len(in.penalties()) != 0 {
		t.Fatal("a busy refusal was penalised")
	}
}

// TestRelayPullsBoundedPerPeer: a partner asking for blob ids this node
// lacks (ids no record names) makes it pull at most RelayBlobsPerDay of
// them through from its other partners, however many it asks for; each
// is answered "not held".
func TestRelayPullsBoundedPerPeer(t *testing.T) {
	other := newNode(t, nil)
	in := newNode(t, func(c *Config) { c.Relay, c.RelayBlobsPerDay = true, 3 }, other)
	connect(t, in, other)
	s := rawStream(t, newHost(t), in)
	for i := range 20 {
		var id blob.ID
		id[0], id[1] = 0xa5, byte(i)
		if err := writeFrame(s, reqManifest, id[:]); err != nil {
			t.Fatal(err)
		}
		fr, err := readFrame(s)
		if err != nil || fr.typ != respNotHeld {
			t.Fatalf("unknown blob %d: 0x%02x, %v; want not held", i, fr.typ, err)
		}
	}
	if n := in.x.Stats().Relayed.Load(); n != 3 {
		t.Fatalf("%d pull-throughs for one partner, want the daily 3", n)
	}
	_ = s.CloseWrite()
	_, _ = io.Copy(io.Discard, s)
}

// TestSlowPeerReleasesWorker: a peer that sends valid chunks slowly,
// each within the frame timeout, holds a background worker no longer
// than JobTimeout: the next job runs, and what the slow peer sent is kept
// for a later fetch to resume after.
func TestSlowPeerReleasesWorker(t *testing.T) {
	author := newNode(t, nil)
	slowFile := sealInto(t, author.st, 64*blob.ChunkSize, 15)
	slow := hostile(t, author.st, func(typ byte, p []byte) []byte {
		if typ == respChunk {
			time.Sleep(300 * time.Millisecond) // a valid chunk every 300 ms: 19 s for the blob
		}
		return p
	})
	honest := newNode(t, nil)
	quick := sealInto(t, honest.st, 10, 16)
	be := newNode(t, func(c *Config) { c.Workers, c.JobTimeout = 1, time.Second }, slow, honest)
	connect(t, be, slow)
	connect(t, be, honest)
	if !be.x.Enqueue(Job{ID: slowFile.id, MaxSize: slowFile.size}) || !be.x.Enqueue(Job{ID: quick.id, MaxSize: quick.size}) {
		t.Fatal("queue full")
	}
	deadline := time.Now().Add(12 * time.Second)
	for {
		if done, _ := be.st.BlobComplete(quick.id); done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job after a slow peer's did not run within 12 s")
		}
		time.Sleep(20 * time.Millisecond) // bounded by the deadline
	}
	if first, _ := be.st.BlobFirstMissing(slowFile.id, mustManifest(t, be.st, slowFile.id)); first == 0 || first == 64 {
		t.Fatalf("first chunk missing %d after the slow fetch was cut, want some kept and some left", first)
	}
	if len(be.penalties()) != 0 {
		t.Fatal("a slow peer was penalised")
	}
}
