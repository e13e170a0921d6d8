package blobxfer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kpnode/kpnode/blob"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestServerRefusesDamagedBlobFile: a chunk altered in the server's blob
// file, or cut off by a truncated file, is never sent: the range ends
// with "not held" before it, the fetcher stores what came before and
// penalises no one (the server is honest, its disk is not), and the
// server records the chunk missing, to fetch it again.
func TestServerRefusesDamagedBlobFile(t *testing.T) {
	damages := map[string]func(f *os.File) error{
		"altered": func(f *os.File) error {
			_, err := f.WriteAt([]byte{0x5a}, blob.MaxChunkCiphertext+77) // chunk 1
			return err
		},
		"truncated": func(f *os.File) error { return f.Truncate(blob.MaxChunkCiphertext + 1000) },
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := newNode(t, nil)
			in.st = diskStoreIn(t, dir)
			in.x.cfg.Holder = StoreHolder(in.st)
			f := sealInto(t, in.st, 3*blob.ChunkSize, 11)
			file, err := os.OpenFile(filepath.Join(dir, "blobs", f.id.String()), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			err = errors.Join(damage(file), file.Close())
			if err != nil {
				t.Fatal(err)
			}
			be := newNode(t, nil)
			connect(t, be, in)
			err = be.x.Fetch(fetchCtx(t), Job{ID: f.id, MaxSize: f.size}, []peer.ID{in.h.ID()})
			if !errors.Is(err, ErrNotHeld) {
				t.Fatalf("fetch of a damaged blob = %v, want ErrNotHeld", err)
			}
			if first, _ := be.st.BlobFirstMissing(f.id, mustManifest(t, be.st, f.id)); first != 1 {
				t.Fatalf("first missing %d, want 1: chunk 0 kept, the damaged chunk 1 never sent", first)
			}
			if got := in.x.Stats().ChunksServed.Load(); got != 1 {
				t.Fatalf("served %d chunks, want 1", got)
			}
			if len(be.penalties()) != 0 {
				t.Fatalf("penalised %v", be.penalties())
			}
			if done, _ := in.st.BlobComplete(f.id); done {
				t.Fatal("the server's blob with a damaged chunk still complete")
			}
			if first, _ := in.st.BlobFirstMissing(f.id, mustManifest(t, in.st, f.id)); first != 1 {
				t.Fatalf("server's first missing %d, want the damaged chunk 1", first)
			}
		})
	}
}
