package blobxfer

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// cutter is IN's holder that cuts the link to BE once it has read cutAt
// chunks to serve: a real connection closed mid-transfer.
type cutter struct {
	Holder
	read  atomic.Int64
	cutAt int64
	cut   func()
}

func (c *cutter) OpenBlob(id blob.ID) (*blob.Manifest, ChunkSource, error) {
	m, src, err := c.Holder.OpenBlob(id)
	if err != nil {
		return nil, nil, err
	}
	return m, cutSource{src, c}, nil
}

type cutSource struct {
	ChunkSource
	c *cutter
}

func (s cutSource) ReadCheckedChunk(i int, buf []byte) ([]byte, error) {
	if s.c.read.Add(1) == s.c.cutAt {
		s.c.cut()
	}
	return s.ChunkSource.ReadCheckedChunk(i, buf)
}

// TestFetch50MBThroughRelayResumesAfterCut: a 50 MB file from IN reaches
// BE, which cannot reach IN, through R, which holds only ciphertext; the
// link between R and BE is cut halfway; BE resumes where it stopped (it
// does not start again) and the file opens byte-identical.
func TestFetch50MBThroughRelayResumesAfterCut(t *testing.T) {
	in := newNode(t, nil)
	f := sealInto(t, in.st, 50<<20, 1)
	n := blob.ChunkCount(f.size)
	cut := &cutter{cutAt: int64(n / 2)}
	r := newNode(t, func(c *Config) { c.Relay = true; cut.Holder = c.Holder; c.Holder = cut }, in)
	be := newNode(t, nil)
	var cuts atomic.Int64
	cut.cut = func() { cuts.Add(1); _ = r.h.Network().ClosePeer(be.h.ID()) }
	connect(t, r, in)
	job := Job{ID: f.id, MaxSize: f.size}
	deadline := time.Now().Add(2 * time.Minute)
	var err error
	for tries := 0; ; tries++ {
		connect(t, be, r) // again after the cut
		if err = be.x.Fetch(fetchCtx(t), job, []peer.ID{r.h.ID()}); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling R while it pulls, bounded by the deadline
	}
	if err != nil {
		t.Fatalf("BE never got the file through R: %v", err)
	}
	if cuts.Load() != 1 {
		t.Fatalf("the link was cut %d times, want once", cuts.Load())
	}
	lost := int64(2 * 16 * 2) // at most the ranges in flight, with read-ahead, when the link went
	if served := int64(r.x.Stats().ChunksServed.Load()); served < int64(n) || served > int64(n)+lost {
		t.Fatalf("R served %d chunks for %d: BE did not resume where it stopped", served, n)
	}
	opens(t, be.st, f)
	if slices.Contains(be.h.Network().Peers(), in.h.ID()) {
		t.Fatal("BE reached IN directly: the test proves nothing about R")
	}
	if p := be.penalties(); len(p) != 0 {
		t.Fatalf("an honest relay penalised for a cut link: %v", p)
	}
}

// TestRelayHoldsCiphertextOnly: BE, not connected to IN, asks R; R lacks
// the blob, fetches it from IN and serves it on BE's next try. R checked
// every chunk against the blob id without the file key.
func TestRelayHoldsCiphertextOnly(t *testing.T) {
	in := newNode(t, nil)
	f := sealInto(t, in.st, 3<<20+5, 2)
	r := newNode(t, func(c *Config) { c.Relay = true }, in)
	be := newNode(t, nil)
	connect(t, r, in)
	connect(t, be, r)
	job := Job{ID: f.id, MaxSize: f.size}
	err := be.x.Fetch(fetchCtx(t), job, []peer.ID{r.h.ID()})
	if !errors.Is(err, ErrNotHeld) {
		t.Fatalf("first try = %v, want ErrNotHeld while R pulls", err)
	}
	deadline := time.Now().Add(time.Minute)
	for err != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling R, bounded by the deadline
		err = be.x.Fetch(fetchCtx(t), job, []peer.ID{r.h.ID()})
	}
	if err != nil {
		t.Fatalf("BE never got the blob from R: %v", err)
	}
	opens(t, be.st, f)
	if done, _ := r.st.BlobComplete(f.id); !done {
		t.Fatal("R serves a blob it does not hold whole")
	}
	if slices.Contains(be.h.Network().Peers(), in.h.ID()) {
		t.Fatal("BE reached IN directly: the test proves nothing about R")
	}
	if r.x.Stats().Relayed.Load() != 1 {
		t.Fatalf("R pulled %d times, want 1", r.x.Stats().Relayed.Load())
	}
}

// TestQuotaAndAdmission: a stranger is refused, and a partner past its
// daily quota too, without a penalty for the server.
func TestQuotaAndAdmission(t *testing.T) {
	in := newNode(t, func(c *Config) { c.ServeBytesPerDay = 2 * blob.MaxChunkCiphertext })
	f := sealInto(t, in.st, 5*blob.ChunkSize, 3)
	be := newNode(t, nil)
	connect(t, be, in)
	if err := be.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: f.size}, []peer.ID{in.h.ID()}); !errors.Is(err, ErrRefused) {
		t.Fatalf("past the quota: %v, want ErrRefused", err)
	}
	if first, _ := be.st.BlobFirstMissing(f.id, mustManifest(t, be.st, f.id)); first != 1 {
		t.Fatalf("%d chunks stored within a quota of 2 chunks' bytes with the manifest, want 1", first)
	}
	stranger := newNode(t, func(c *Config) { c.Admit = func(peer.ID) bool { return false } })
	sealInto(t, stranger.st, 10, 4)
	other := newNode(t, nil)
	connect(t, other, stranger)
	if err := other.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: f.size}, []peer.ID{stranger.h.ID()}); !errors.Is(err, ErrRefused) {
		t.Fatalf("not admitted: %v, want ErrRefused", err)
	}
	if len(be.penalties())+len(other.penalties()) != 0 {
		t.Fatal("a refusal was penalised")
	}
}

// TestSizeLimit: a manifest larger than the record says is not fetched.
func TestSizeLimit(t *testing.T) {
	in := newNode(t, nil)
	f := sealInto(t, in.st, 2*blob.ChunkSize, 5)
	be := newNode(t, nil)
	connect(t, be, in)
	err := be.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: f.size - 1}, []peer.ID{in.h.ID()})
	if !errors.Is(err, ErrQuota) {
		t.Fatalf("oversized: %v, want ErrQuota", err)
	}
	if in.x.Stats().ChunksServed.Load() != 0 {
		t.Fatal("chunks fetched for a blob over the limit")
	}
}

func mustManifest(t testing.TB, st *store.Store, id blob.ID) *blob.Manifest {
	t.Helper()
	m, _, err := st.BlobManifest(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
