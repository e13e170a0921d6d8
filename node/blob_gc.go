package node

import (
	"sync"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/node/internal/blobxfer"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// defaultAttachmentRetention is how long a blob no record names is kept
// when the configuration does not say ([Config.AttachmentRetention]).
// With the relay quota (blobxfer: 64 pulls a day per partner, each at
// most 64 MiB) a partner can make this node hold at most 7 × 64 × 64 MiB
// = 28 GiB of blobs for it (docs/security.md).
const defaultAttachmentRetention = 7 * 24 * time.Hour

// blobGCMax bounds the blobs one collection pass deletes: at most
// 16 × 64 MiB of chunks, each deletion one transaction.
const blobGCMax = 16

// blobLeases are the blobs a publish is using: from its check that they
// are held until its record names them (b/r/), the collection pass keeps
// them. Its mutex also serialises a pass against taking a lease: a
// lease is taken either before the pass (and the pass skips the blob) or
// after it (and the publish's check sees the blob gone).
type blobLeases struct {
	mu   sync.Mutex
	held map[blob.ID]int
	// afterCheck, when set, is called by a publish or import once it has
	// checked that its leased files are held and before its record names
	// them: the window a collection pass must not delete them in. Tests
	// run a pass there; nil in production.
	afterCheck func()
}

// checked calls afterCheck, if set.
func (l *blobLeases) checked() {
	if l.afterCheck != nil {
		l.afterCheck()
	}
}

// take leases the blobs of files until the returned release is called.
func (l *blobLeases) take(files []protocol.AttachedFile) (release func()) {
	var ids []blob.ID
	for _, f := range files {
		if id, err := blob.ParseID(f.Blob); err == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return func() {}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held == nil {
		l.held = map[blob.ID]int{}
	}
	for _, id := range ids {
		l.held[id]++
	}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, id := range ids {
			if l.held[id]--; l.held[id] <= 0 {
				delete(l.held, id)
			}
		}
	}
}

// collectBlobs runs one collection pass: blobs no record names, first
// stored more than the retention ago, go. The pass skips a blob a
// publish leases or a fetch has in flight, and holds in the exchanger
// (x, nil before Start) the ones it deletes, so that a fetch starting
// meanwhile waits and then fetches the blob whole. Only the retry loop
// calls it: one pass at a time.
func (n *Node) collectBlobs(x *blobxfer.Exchanger) (store.BlobGCResult, error) {
	n.blobLeases.mu.Lock()
	defer n.blobLeases.mu.Unlock()
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	skip := func(id blob.ID) bool {
		if n.blobLeases.held[id] > 0 {
			return true
		}
		if x == nil {
			return false
		}
		release, ok := x.Hold(id)
		if ok {
			releases = append(releases, release)
		}
		return !ok
	}
	return n.st.CollectBlobs(store.BlobGC{Before: n.now().Add(-n.cfg.attachmentRetention()), Max: blobGCMax, Skip: skip})
}

// collectBlobsLogged runs a pass and logs what it freed.
func (n *Node) collectBlobsLogged(x *blobxfer.Exchanger) {
	res, err := n.collectBlobs(x)
	if err != nil {
		n.log.Warn("collect attachments", "err", err)
	}
	if len(res.Blobs) > 0 || res.Stamped > 0 {
		n.log.Info("collected attachments no record names", "blobs", len(res.Blobs), "chunks", res.Chunks, "bytes", res.Bytes, "stamped", res.Stamped, "more", res.More)
	}
}
