package blobxfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// node is a host, a store and an exchanger.
type node struct {
	h  host.Host
	st *store.Store
	x  *Exchanger

	mu        sync.Mutex // guards penalised
	penalised []peer.ID
}

func newHost(t testing.TB) host.Host {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// newNode starts a node whose background fetches ask sources.
func newNode(t testing.TB, change func(*Config), sources ...*node) *node {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	n := &node{h: newHost(t), st: st}
	cfg := DefaultConfig()
	cfg.Net, cfg.Holder, cfg.Log = HostNetwork(n.h), StoreHolder(st), slog.New(slog.DiscardHandler)
	cfg.Admit = func(peer.ID) bool { return true }
	cfg.Sources = func(_ blob.ID, except peer.ID) []peer.ID {
		var out []peer.ID
		for _, s := range sources {
			if s.h.ID() != except {
				out = append(out, s.h.ID())
			}
		}
		return out
	}
	cfg.Penalise = func(p peer.ID, _ error) { n.mu.Lock(); n.penalised = append(n.penalised, p); n.mu.Unlock() }
	if change != nil {
		change(&cfg)
	}
	if n.x, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	if err := n.x.Register(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.x.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return n
}

func (n *node) penalties() []peer.ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]peer.ID(nil), n.penalised...)
}

func connect(t testing.TB, a, b *node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.h.Connect(ctx, peer.AddrInfo{ID: b.h.ID(), Addrs: b.h.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// file is a test file sealed into an author's store.
type file struct {
	id   blob.ID
	key  blob.Key
	size int64
	sum  [32]byte
}

// sealInto seals size pseudo-random bytes (seed) into st, streaming.
func sealInto(t testing.TB, st *store.Store, size int64, seed uint64) file {
	t.Helper()
	k := blob.NewKey()
	up, err := st.NewBlobUpload()
	if err != nil {
		t.Fatal(err)
	}
	s, err := blob.Seal(io.LimitReader(newRand(seed), size), k, up.Put)
	if err != nil {
		t.Fatal(err)
	}
	id, err := up.Commit(s.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	return file{id: id, key: k, size: size, sum: s.SHA256}
}

type randReader struct{ r *rand.ChaCha8 }

func newRand(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return randReader{rand.NewChaCha8(s)}
}

func (r randReader) Read(p []byte) (int, error) { return r.r.Read(p) }

// opens checks that st holds f whole and that it opens to the bytes
// sealed, streaming (the file is hashed, never held).
func opens(t testing.TB, st *store.Store, f file) {
	t.Helper()
	r, err := st.OpenBlob(f.id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := sha256.New()
	if err := blob.Open(h, f.key, r.Manifest, f.size, f.sum, r.Chunk); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h.Sum(nil), f.sum[:]) {
		t.Fatal("opened file differs")
	}
}

// chunkOf returns chunk i of blob id held in st, or nil.
func chunkOf(t testing.TB, st *store.Store, id blob.ID, i int) []byte {
	t.Helper()
	r, err := st.OpenBlob(id)
	if err != nil {
		return nil
	}
	defer r.Close()
	ct, _ := r.Chunk(i)
	return ct
}

func fetchCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
