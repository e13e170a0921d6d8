package store

import (
	"bytes"
	"testing"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
)

// TestBlobHeldCountsChunksHeld: a blob fetched in part counts the
// ciphertext of the chunks it holds (the last one shorter), not its
// file's size; the files still to fetch say how much of each is held,
// and one whose manifest has not come yet counts its record's size.
func TestBlobHeldCountsChunksHeld(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			src, dst := openMem(t), open(t)
			size := int64(3*blob.ChunkSize + 1000)
			id, m := putSealed(t, src, bytes.Repeat([]byte{6}, int(size)))
			putChunks(t, src, dst, id, m, 0, 3)
			want := int64(blob.MaxChunkCiphertext + 1000 + blob.Overhead)
			if got, err := dst.BlobHeldBytes(); got != want || err != nil {
				t.Fatalf("held %d bytes, %v, want %d (chunks 0 and 3)", got, err, want)
			}
			other := blob.ID{7}
			for _, ref := range []struct {
				id   blob.ID
				size int64
			}{{id, size}, {other, 10}} {
				if err := dst.AddBlobRef(ref.id, BlobRef{Author: crypto.PublicKey{1}, Seq: 1, Size: ref.size}); err != nil {
					t.Fatal(err)
				}
			}
			files, err := dst.PendingFiles()
			if err != nil || len(files) != 2 {
				t.Fatalf("pending %+v, %v", files, err)
			}
			whole := 3*int64(blob.MaxChunkCiphertext) + 1000 + blob.Overhead
			for _, f := range files {
				wantP := BlobProgress{Chunks: 4, ChunksHeld: 2, Bytes: whole, BytesHeld: want}
				if f.ID == other {
					wantP = BlobProgress{Chunks: 1, Bytes: 10 + blob.Overhead}
				}
				if f.BlobProgress != wantP {
					t.Errorf("blob %s: %+v, want %+v", f.ID, f.BlobProgress, wantP)
				}
			}
			putChunks(t, src, dst, id, m, 1, 2)
			if got, _ := dst.BlobHeldBytes(); got != whole {
				t.Fatalf("held %d bytes whole, want %d", got, whole)
			}
		})
	}
}
