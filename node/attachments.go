package node

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/blobxfer"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// defaultAttachmentEager is the size up to which a record's files are
// fetched as soon as the record arrives, when the configuration does not
// say ([Config.AttachmentEagerMB]); larger ones on demand.
const defaultAttachmentEager = 8 << 20

// ErrNoAttachment is returned when a record has no file of the name asked.
var ErrNoAttachment = errors.New("no such attachment")

// ErrAmbiguousAttachment is returned when a file is asked for by name
// alone and items of the record's batch carry different files of that
// name: the item must be given.
var ErrAmbiguousAttachment = errors.New("attachment name is ambiguous in the record")

// ErrAttachmentUnavailable is returned when no partner asked could send
// a file's missing chunks (none holds them, or one sent bad data).
var ErrAttachmentUnavailable = errors.New("attachment not available from partners")

// startBlobs serves /kpnode/blob/1.0.0 through the exchange (to
// admitted partners only; streams are opened to them only) and runs the
// background fetches until the node closes. Every node relays blobs for
// its partners within the exchanger's daily limits.
func (n *Node) startBlobs() error {
	cfg := blobxfer.DefaultConfig()
	cfg.Net, cfg.Holder, cfg.Log, cfg.Now, cfg.Relay = n.ex, blobxfer.StoreHolder(n.st), n.log, n.now, true
	cfg.Admit, cfg.Sources, cfg.Penalise = n.ex.Admits, n.blobSources, n.blobPenalise
	x, err := blobxfer.New(cfg)
	if err != nil {
		return err
	}
	if err := x.Register(); err != nil {
		return err
	}
	n.blobx.Store(x)
	n.wg.Go(func() { x.Run(n.runCtx) })
	n.wg.Go(func() { n.retryAttachments(x, cmp.Or(n.blobRetry, blobRetryEvery)) })
	return nil
}

// blobRetryEvery is how often the files still to fetch eagerly are asked
// for again: a fetch that found no partner holding the file (the author
// offline, a relay still pulling it) is not left to the operator.
const blobRetryEvery = time.Minute

// retryAttachments collects the blobs no record names (blob_gc.go) and
// queues, every period until the node closes, the pending files up to
// the eager size.
func (n *Node) retryAttachments(x *blobxfer.Exchanger, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-n.runCtx.Done():
			return
		case <-t.C:
		}
		n.collectBlobsLogged(x)
		pending, err := n.st.PendingBlobs()
		if err != nil {
			n.log.Warn("list attachments to fetch", "err", err)
			continue
		}
		for _, p := range pending {
			if p.Size <= n.cfg.attachmentEager() && !x.Enqueue(blobxfer.Job{ID: p.ID, MaxSize: p.Size}) {
				break // the queue is full: the rest next time
			}
		}
	}
}

// blobSources lists the connected partners to ask for blob id: the
// authors of the records that name it first, then every other one (a
// relay may hold it), never except. Partners not connected are left out:
// a dial to an unreachable one would hold a fetch for the dial timeout,
// and the dialer keeps reachable partners connected.
func (n *Node) blobSources(id blob.ID, except peer.ID) []peer.ID {
	if !n.started() {
		return nil
	}
	snap := n.roster.Snapshot()
	byCode := snap.PeersByCode()
	usable := func(p peer.ID, out []peer.ID) bool {
		return p != except && !slices.Contains(out, p) && n.ex.Connected(p)
	}
	var out []peer.ID
	refs, _ := n.st.BlobRefs(id)
	for _, r := range refs {
		if code, ok := snap.FeedCode(r.Author); ok {
			if p, ok := byCode[code]; ok && usable(p, out) {
				out = append(out, p)
			}
		}
	}
	for _, p := range snap.Peers() {
		if usable(p, out) {
			out = append(out, p)
		}
	}
	return out
}

// blobPenalise charges a partner that sent blob data that does not match
// its blob id, or a request no correct peer sends, a protocol violation
// in the exchange: its gossipsub score falls with it.
func (n *Node) blobPenalise(p peer.ID, err error) {
	n.ex.Penalise(p)
	n.log.Warn("partner sent invalid blob data", "peer", p, "err", err)
}

// filesOf returns the files a parsed record (or each item of a batch)
// carries.
func filesOf(value any) []protocol.AttachedFile {
	if b, ok := value.(*protocol.Batch); ok {
		var out []protocol.AttachedFile
		for _, v := range b.Records {
			out = append(out, filesOf(v)...)
		}
		return out
	}
	if a, ok := value.(protocol.Attaching); ok {
		return a.Files()
	}
	return nil
}

// noteAttachments records which blobs the record (author, seq) names and
// starts fetching the small ones.
func (n *Node) noteAttachments(author crypto.PublicKey, seq uint64, value any) {
	eager := n.cfg.attachmentEager()
	for _, f := range filesOf(value) {
		id, err := blob.ParseID(f.Blob)
		if err != nil {
			continue // the validator checked it
		}
		if err := n.st.AddBlobRef(id, store.BlobRef{Author: author, Seq: seq, Size: f.Size}); err != nil {
			n.log.Warn("record attachment", "seq", seq, "err", err)
			continue
		}
		if x := n.blobx.Load(); x != nil && f.Size <= eager && author != n.id.Public() {
			x.Enqueue(blobxfer.Job{ID: id, MaxSize: f.Size})
		}
	}
}

// checkAttachmentsHeld refuses to publish a record whose files this node
// does not hold whole, as the record describes them: its audience could
// never fetch them.
func (n *Node) checkAttachmentsHeld(value any) error {
	for _, f := range filesOf(value) {
		if err := n.checkFileHeld(f); err != nil {
			return fmt.Errorf("%w: attachment %q: blob %s: %w", ErrInvalidRecord, f.Name, f.Blob, err)
		}
	}
	return nil
}

// checkFileHeld reports why file member f cannot go out in a record: its
// blob is not held whole here, or its size is not the blob's (a member
// edited by a client: the audience would refuse to fetch a blob larger
// than the record states, or fail to open one smaller).
func (n *Node) checkFileHeld(f protocol.AttachedFile) error {
	id, err := blob.ParseID(f.Blob)
	if err != nil {
		return err
	}
	if done, err := n.st.BlobComplete(id); err != nil || !done {
		return errors.Join(errors.New("not held here (add the file first)"), err)
	}
	m, _, err := n.st.BlobManifest(id)
	if err != nil {
		return err
	}
	if m.Size != f.Size {
		return fmt.Errorf("the file is %d bytes, the record says %d", m.Size, f.Size)
	}
	return nil
}

// AddAttachment seals a file for records of this node and stores it,
// returning the record member that names it. The same content added again
// gets the same blob and key: it is stored once. r is read twice from its
// start (once to hash, once to seal), never held whole.
func (n *Node) AddAttachment(r io.ReadSeeker, name, mediaType string) (protocol.AttachedFile, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return protocol.AttachedFile{}, fmt.Errorf("read attachment: %w", err)
	}
	h := sha256.New()
	size, err := io.Copy(h, io.LimitReader(r, blob.MaxSize+1))
	if err != nil {
		return protocol.AttachedFile{}, fmt.Errorf("read attachment: %w", err)
	}
	if size > blob.MaxSize {
		return protocol.AttachedFile{}, fmt.Errorf("%w: attachment %q: %w", ErrInvalidRequest, name, blob.ErrTooLarge)
	}
	sum := [32]byte(h.Sum(nil))
	f := protocol.AttachedFile{Name: name, MediaType: mediaType, Size: size, SHA256: hex.EncodeToString(sum[:])}
	id, key, ok, err := n.st.OwnBlob(sum)
	if err == nil && !ok {
		id, key, err = n.sealAttachment(r, sum)
	}
	if err != nil {
		return protocol.AttachedFile{}, err
	}
	f.Blob, f.Key = id.String(), hex.EncodeToString(key[:])
	return f, nil
}

func (n *Node) sealAttachment(r io.ReadSeeker, sum [32]byte) (blob.ID, blob.Key, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return blob.ID{}, blob.Key{}, fmt.Errorf("read attachment: %w", err)
	}
	key := blob.NewKey()
	up, err := n.st.NewBlobUpload()
	if err != nil {
		return blob.ID{}, blob.Key{}, fmt.Errorf("seal attachment: %w", err)
	}
	s, err := blob.Seal(r, key, up.Put)
	if err == nil && s.SHA256 != sum {
		err = fmt.Errorf("%w: attachment changed while it was read", ErrInvalidRequest)
	}
	if err != nil {
		up.Abort()
		return blob.ID{}, blob.Key{}, fmt.Errorf("seal attachment: %w", err)
	}
	id, err := up.Commit(s.Manifest)
	if err != nil {
		return blob.ID{}, blob.Key{}, err
	}
	return id, key, n.st.PutOwnBlob(sum, id, key)
}

// OpenAttachment writes the file ref of record seq of feed to w,
// fetching what is missing from partners first (bounded by ctx). w gets
// bytes only once every chunk is held; a chunk found damaged on disk is
// recorded missing and fetched again before its bytes reach w
// ([repairingChunks]); an error after the first byte means the file in w
// is incomplete.
func (n *Node) OpenAttachment(ctx context.Context, feed string, seq uint64, ref FileRef, w io.Writer) (protocol.AttachedFile, error) {
	f, err := n.attachment(feed, seq, ref)
	if err != nil {
		return f, err
	}
	id, _ := blob.ParseID(f.Blob)
	key, _ := hex.DecodeString(f.Key)
	sum, _ := hex.DecodeString(f.SHA256)
	if err := n.FetchAttachment(ctx, id, f.Size); err != nil {
		return f, err
	}
	rd, err := n.openRepairing(ctx, id, f.Size)
	if err != nil {
		return f, err
	}
	defer rd.close()
	return f, blob.Open(w, blob.Key(key), rd.rd.Manifest, f.Size, [32]byte(sum), rd.chunk)
}

// FetchAttachment fetches blob id from partners unless it is held.
func (n *Node) FetchAttachment(ctx context.Context, id blob.ID, size int64) error {
	if done, err := n.st.BlobComplete(id); done || err != nil {
		return err
	}
	x := n.blobx.Load()
	if x == nil {
		return fmt.Errorf("%w: node not started", ErrAttachmentUnavailable)
	}
	asked := n.blobSources(id, "")
	if err := x.Fetch(ctx, blobxfer.Job{ID: id, MaxSize: size}, asked); err != nil {
		n.log.Warn("fetch attachment", "blob", id.String(), "err", err)
		return fmt.Errorf("%w: %s", ErrAttachmentUnavailable, n.fetchFailure(asked, err))
	}
	return nil
}

// fetchFailure says why the partners asked could not send a file, in
// words for the person who opened it (the dashboard shows them): which
// partners, by code, and what to do. The log keeps the cause, with peer
// IDs and transport errors.
func (n *Node) fetchFailure(asked []peer.ID, err error) string {
	if len(asked) == 0 {
		return "no partner is connected to fetch it from; try again once one is"
	}
	who := "asked " + strings.Join(n.partnerCodes(asked), ", ") + ": "
	switch {
	case errors.Is(err, blobxfer.ErrBadPeer):
		return who + "a partner sent data that does not match the file (refused, and the partner penalised)"
	case errors.Is(err, blobxfer.ErrQuota), errors.Is(err, blobxfer.ErrRefused):
		return who + "a daily transfer limit is reached; try again tomorrow"
	case errors.Is(err, blobxfer.ErrNotHeld):
		return who + "none holds it yet (a partner that relays it fetches it meanwhile); try again in a moment"
	}
	return who + "the transfer broke off; what came is kept, and trying again resumes there"
}

// attachment returns the file ref names of a record this node can read.
func (n *Node) attachment(feed string, seq uint64, ref FileRef) (protocol.AttachedFile, error) {
	rv, err := n.Record(feed, seq)
	if err != nil {
		return protocol.AttachedFile{}, err
	}
	parsed, err := parseRecord(rv.Type, rv.Record)
	if err != nil {
		return protocol.AttachedFile{}, fmt.Errorf("record %s/%d: %w", feed, seq, err)
	}
	if _, batch := parsed.top.(*protocol.Batch); ref.Item != nil && !batch {
		return protocol.AttachedFile{}, fmt.Errorf("%w: record %s/%d is not a batch: it has no item %d", ErrInvalidRequest, feed, seq, *ref.Item)
	}
	return pickFile(recordFiles(parsed.top), ref, fmt.Sprintf("%s/%d", feed, seq))
}

// AttachmentsStatus is the attachments' line in [Status].
type AttachmentsStatus struct {
	// Pending counts the files named by records this node reads that it
	// does not hold whole: still to fetch (eagerly, or when asked for).
	Pending int `json:"pending"`
	// PendingBytes is the encrypted size of those files whole, and
	// PendingHeldBytes how much of it is held: a fetch's progress.
	PendingBytes     int64 `json:"pending_bytes"`
	PendingHeldBytes int64 `json:"pending_held_bytes"`
	// ChunksFetched, ChunksServed and BadPeers count since start: 64 KiB
	// chunks received and sent, and fetches a partner spoiled with data
	// that did not match its blob id.
	ChunksFetched uint64 `json:"chunks_fetched"`
	ChunksServed  uint64 `json:"chunks_served"`
	BadPeers      uint64 `json:"bad_peers"`
	// BytesHeld is the bytes of encrypted chunks this node holds, as the
	// records of chunks held count them: a file fetched in part counts
	// what it holds, not its size on disk.
	BytesHeld int64 `json:"bytes_held"`
}

func (n *Node) attachmentsStatus() AttachmentsStatus {
	var a AttachmentsStatus
	if files, err := n.st.PendingFiles(); err == nil {
		a.Pending = len(files)
		for _, f := range files {
			a.PendingBytes += f.Bytes
			a.PendingHeldBytes += f.BytesHeld
		}
	}
	a.BytesHeld, _ = n.st.BlobHeldBytes()
	if x := n.blobx.Load(); x != nil {
		st := x.Stats()
		a.ChunksFetched, a.ChunksServed, a.BadPeers = st.ChunksFetched.Load(), st.ChunksServed.Load(), st.BadPeers.Load()
	}
	return a
}

// AttachmentsPending counts the files that records this node reads name
// and that it does not hold whole yet.
func (n *Node) AttachmentsPending() (int, error) {
	pending, err := n.st.PendingBlobs()
	return len(pending), err
}
