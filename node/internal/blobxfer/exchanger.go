package blobxfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
)

// Network is how an [Exchanger] reaches peers: a node's exchange, which
// serves the protocol to admitted partners only and opens streams to them
// only, or [HostNetwork] over a bare host.
type Network interface {
	// Handle serves protocol id with handler; a second registration is
	// an error.
	Handle(id libp2pprotocol.ID, handler network.StreamHandler) error
	// OpenStream opens a stream of protocol id to p.
	OpenStream(ctx context.Context, p peer.ID, id libp2pprotocol.ID) (network.Stream, error)
}

// HostNetwork is a [Network] over a bare libp2p host: every peer is
// served and asked (the Exchanger's Admit still applies).
func HostNetwork(h host.Host) Network { return hostNetwork{h} }

type hostNetwork struct{ h host.Host }

func (n hostNetwork) Handle(id libp2pprotocol.ID, handler network.StreamHandler) error {
	n.h.SetStreamHandler(id, handler)
	return nil
}

func (n hostNetwork) OpenStream(ctx context.Context, p peer.ID, id libp2pprotocol.ID) (network.Stream, error) {
	return n.h.NewStream(ctx, p, id)
}

// Holder is where blobs are kept: [StoreHolder] of the node's store.
// Not-found errors wrap store.ErrNotFound.
type Holder interface {
	BlobManifest(id blob.ID) (*blob.Manifest, []byte, error)
	// OpenBlob returns the manifest of blob id and a reader of its
	// chunks held.
	OpenBlob(id blob.ID) (*blob.Manifest, ChunkSource, error)
	PutBlobManifest(id blob.ID, manifest []byte) error
	// NewChunkSink returns where one fetch's chunks of blob id go.
	NewChunkSink(id blob.ID, m *blob.Manifest) (ChunkSink, error)
	BlobFirstMissing(id blob.ID, m *blob.Manifest) (int, error)
	MarkBlobComplete(id blob.ID) error
	// DropBlobChunk records chunk i of blob id as not held (it failed
	// its check when read), so that it is fetched again.
	DropBlobChunk(id blob.ID, i int) error
	BlobComplete(id blob.ID) (bool, error)
}

// ChunkSource reads the chunks of one blob: chunk i, in buf when it is
// large enough, checked against what was recorded when it was stored
// ([store.BlobReader.ReadCheckedChunk]); an error wrapping
// store.ErrNotFound when it is not held, store.ErrCorrupt when its bytes
// are not those stored.
type ChunkSource interface {
	ReadCheckedChunk(i int, buf []byte) ([]byte, error)
	Close()
}

// ChunkSink takes the chunks of one fetch, each checked against the
// manifest; ct is the caller's again once Put returns. They are held once
// Flush returns.
type ChunkSink interface {
	Put(i int, ct []byte) error
	Flush() error
}

// StoreHolder returns st as a Holder.
func StoreHolder(st *store.Store) Holder { return storeHolder{st} }

type storeHolder struct{ *store.Store }

func (h storeHolder) NewChunkSink(id blob.ID, m *blob.Manifest) (ChunkSink, error) {
	return h.NewBlobChunkWriter(id, m)
}

func (h storeHolder) OpenBlob(id blob.ID) (*blob.Manifest, ChunkSource, error) {
	r, err := h.Store.OpenBlob(id)
	if err != nil {
		return nil, nil, err
	}
	return r.Manifest, r, nil
}

// Config is what an [Exchanger] needs. Net, Holder, Admit and Sources
// are required; the limits default to [DefaultConfig]'s.
type Config struct {
	Net    Network
	Holder Holder
	// Admit reports whether a peer may ask for blobs (a pinned partner,
	// not cooling off).
	Admit func(peer.ID) bool
	// Sources lists the peers to ask for a blob fetched in the
	// background, best first; for a relay's pull-through, the partners
	// other than the one asking.
	Sources func(id blob.ID, except peer.ID) []peer.ID
	// Penalise is told of a peer that sent invalid blob data.
	Penalise func(p peer.ID, err error)
	// Relay makes a node that lacks a blob a peer asks for fetch it in
	// the background from its other Sources, so that the peer finds it
	// on a later try: a relay for partners that cannot reach the author.
	Relay bool
	// ServeBytesPerDay caps what is served to one peer in a UTC day.
	ServeBytesPerDay int64
	// FetchBytesPerDay caps what is fetched from one peer in a UTC day.
	FetchBytesPerDay int64
	// RelayBlobsPerDay caps the pull-throughs one peer can cause a day.
	RelayBlobsPerDay int64
	// RangeChunks is how many chunks one request asks for.
	RangeChunks int
	// FrameTimeout bounds the wait for each frame.
	FrameTimeout time.Duration
	// Workers is how many background fetches run at once.
	Workers int
	// JobTimeout bounds one background fetch: a peer that sends valid
	// chunks just within the frame timeout cannot hold a worker for
	// hours; what came is kept and the next try resumes after it.
	JobTimeout time.Duration
	// StreamsPerPeer caps the streams served to one peer at once; one
	// more is refused as busy (each holds a goroutine and, while it
	// sends, an open blob file and a chunk buffer).
	StreamsPerPeer int
	Now            func() time.Time
	Log            *slog.Logger
}

// DefaultConfig returns the defaults: 2 GiB served to and fetched from a
// peer a day, 64 pull-throughs a day, ranges of 16 chunks (1 MiB, two
// asked for at a time), 20 s a frame, 2 workers, 10 minutes a background
// fetch, 16 streams served to a peer at once.
func DefaultConfig() Config {
	return Config{ServeBytesPerDay: 2 << 30, FetchBytesPerDay: 2 << 30, RelayBlobsPerDay: 64,
		RangeChunks: 16, FrameTimeout: 20 * time.Second, Workers: 2, JobTimeout: 10 * time.Minute, StreamsPerPeer: 16, Now: time.Now, Log: slog.Default()}
}

// Validate names the first missing or out-of-range field.
func (c Config) Validate() error {
	switch {
	case c.Net == nil || c.Holder == nil || c.Admit == nil || c.Sources == nil:
		return errors.New("blob exchanger config: Net, Holder, Admit and Sources are required")
	case c.ServeBytesPerDay < blob.MaxChunkCiphertext || c.FetchBytesPerDay < blob.MaxChunkCiphertext:
		return fmt.Errorf("blob exchanger config: daily byte quotas must be at least one chunk (%d bytes)", blob.MaxChunkCiphertext)
	case c.RangeChunks < 1 || c.RangeChunks > MaxRangeChunks:
		return fmt.Errorf("blob exchanger config: RangeChunks %d, want 1..%d", c.RangeChunks, MaxRangeChunks)
	case c.FrameTimeout <= 0 || c.JobTimeout <= 0 || c.Workers < 1 || c.StreamsPerPeer < 1 || c.Now == nil || c.Log == nil:
		return errors.New("blob exchanger config: FrameTimeout, JobTimeout, Workers, StreamsPerPeer, Now and Log must be set")
	}
	return nil
}

// Job is a background fetch.
type Job struct {
	ID blob.ID
	// MaxSize is the largest plaintext size accepted for the blob: the
	// record's stated size for an audience member, blob.MaxSize for a
	// relay that cannot read the record.
	MaxSize int64
	// Except is a peer not to ask: the one a relay fetches for.
	Except peer.ID
}

// Exchanger serves and fetches blobs over [ProtocolID].
type Exchanger struct {
	cfg                    Config
	served, fetched, relay *quota
	streams                *slots
	jobs                   chan Job
	log                    *slog.Logger

	mu       sync.Mutex // guards inflight
	inflight map[blob.ID]chan struct{}

	stats Stats
}

// Stats counts what an Exchanger did, for metrics and tests.
type Stats struct {
	ChunksServed, ChunksFetched, BadPeers, Relayed atomic.Uint64
	// Busy counts streams refused because their peer had StreamsPerPeer
	// streams served already.
	Busy atomic.Uint64
}

// New returns an Exchanger; it serves once [Exchanger.Register] is called
// and fetches in the background while [Exchanger.Run] runs.
func New(cfg Config) (*Exchanger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Exchanger{cfg: cfg, served: newQuota(cfg.ServeBytesPerDay, cfg.Now), fetched: newQuota(cfg.FetchBytesPerDay, cfg.Now),
		relay: newQuota(cfg.RelayBlobsPerDay, cfg.Now), streams: newSlots(cfg.StreamsPerPeer), jobs: make(chan Job, 256), log: cfg.Log.With("component", "blob"),
		inflight: map[blob.ID]chan struct{}{}}, nil
}

// Stats returns the exchanger's counters.
func (x *Exchanger) Stats() *Stats { return &x.stats }

// Register serves [ProtocolID] on the Network.
func (x *Exchanger) Register() error {
	if err := x.cfg.Net.Handle(ProtocolID, x.serve); err != nil {
		return fmt.Errorf("serve blobs: %w", err)
	}
	return nil
}

// Enqueue asks for a background fetch; it reports false when the queue is
// full (the fetch is then left to a later Enqueue or an explicit Fetch).
func (x *Exchanger) Enqueue(j Job) bool {
	select {
	case x.jobs <- j:
		return true
	default:
		return false
	}
}

// Run runs the background fetches until ctx ends and returns after every
// worker has stopped.
func (x *Exchanger) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range x.cfg.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-x.jobs:
					x.runJob(ctx, j)
				}
			}
		})
	}
	wg.Wait()
}

// runJob runs one background fetch for at most JobTimeout.
func (x *Exchanger) runJob(ctx context.Context, j Job) {
	ctx, cancel := context.WithTimeout(ctx, x.cfg.JobTimeout)
	defer cancel()
	if err := x.Fetch(ctx, j, x.cfg.Sources(j.ID, j.Except)); err != nil {
		x.log.Debug("background blob fetch", "blob", j.ID, "err", err)
	}
}

// enter makes concurrent fetches of one blob wait for each other; leave
// ends the turn.
func (x *Exchanger) enter(ctx context.Context, id blob.ID) (leave func(), err error) {
	for {
		x.mu.Lock()
		ch, busy := x.inflight[id]
		if !busy {
			ch = make(chan struct{})
			x.inflight[id] = ch
			x.mu.Unlock()
			return func() { x.mu.Lock(); delete(x.inflight, id); x.mu.Unlock(); close(ch) }, nil
		}
		x.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Hold takes blob id as a fetch does, without waiting, so that a caller
// deleting the blob (the node's collection pass) never runs while a fetch
// of it does: a fetch that starts meanwhile waits for release, then finds
// the blob not held and fetches it whole. ok is false while a fetch (or
// another Hold) has it.
func (x *Exchanger) Hold(id blob.ID) (release func(), ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, busy := x.inflight[id]; busy {
		return nil, false
	}
	ch := make(chan struct{})
	x.inflight[id] = ch
	return func() { x.mu.Lock(); delete(x.inflight, id); x.mu.Unlock(); close(ch) }, true
}
