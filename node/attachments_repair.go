package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/store"
)

// repairingChunks gives [blob.Open] the chunks of one blob, each checked
// against its manifest first: a chunk found damaged on disk (altered, cut
// short, or recorded missing since the blob was opened) is recorded
// missing, fetched again from partners, and read again, so that opening
// a file repairs it rather than failing until the operator acts. Open
// checks each chunk again; the extra hash is the price of never writing
// a damaged chunk's plaintext before finding out.
type repairingChunks struct {
	n    *Node
	ctx  context.Context
	id   blob.ID
	size int64
	rd   *store.BlobReader
}

// openRepairing opens blob id for [repairingChunks.chunk]; close it.
func (n *Node) openRepairing(ctx context.Context, id blob.ID, size int64) (*repairingChunks, error) {
	rd, err := n.st.OpenBlob(id)
	if err != nil {
		return nil, err
	}
	return &repairingChunks{n: n, ctx: ctx, id: id, size: size, rd: rd}, nil
}

func (r *repairingChunks) close() { r.rd.Close() }

// chunk returns chunk i, repairing it once when it fails its check.
func (r *repairingChunks) chunk(i int) ([]byte, error) {
	ct, err := r.checked(i)
	if err == nil {
		return ct, nil
	}
	r.n.log.Error("attachment chunk damaged on disk; recorded missing, fetching it again", "blob", r.id, "chunk", i, "err", err)
	if !errors.Is(err, store.ErrNotFound) {
		if err := r.n.st.DropBlobChunk(r.id, i); err != nil {
			return nil, fmt.Errorf("record damaged chunk %d missing: %w", i, err)
		}
	}
	if err := r.n.FetchAttachment(r.ctx, r.id, r.size); err != nil {
		return nil, fmt.Errorf("chunk %d was damaged on disk, recorded missing: %w", i, err)
	}
	r.rd.Close()
	if r.rd, err = r.n.st.OpenBlob(r.id); err != nil {
		return nil, err
	}
	return r.checked(i)
}

// checked reads chunk i and checks it against the manifest.
func (r *repairingChunks) checked(i int) ([]byte, error) {
	ct, err := r.rd.Chunk(i)
	if err != nil {
		return nil, err
	}
	if err := r.rd.Manifest.Verify(i, ct); err != nil {
		return nil, fmt.Errorf("chunk %d: %w", i, err)
	}
	return ct, nil
}
