package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// damageBlobFile flips a byte of chunk i in the file the store in dir
// keeps blob id in.
func damageBlobFile(t *testing.T, dir string, id blob.ID, i int) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "blobs", id.String()), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	at := int64(i)*blob.MaxChunkCiphertext + 17
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{b[0] ^ 0x40}, at); err != nil {
		t.Fatal(err)
	}
}

// sharedPhoto has IN publish a photo of 4 chunks to BE (on disk) and
// waits until BE holds it whole.
func sharedPhoto(t *testing.T, in *Node, be *fixture) (photo []byte, seq uint64, id blob.ID) {
	t.Helper()
	pin(t, in, be.n)
	pin(t, be.n, in)
	photo = make([]byte, 3*blob.ChunkSize+500)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(photo)
	f, err := in.AddAttachment(bytes.NewReader(photo), "seal.jpg", "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	p, err := in.Publish(context.Background(), protocol.NoticeType, withFiles(t, f), []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	id, _ = blob.ParseID(f.Blob)
	eventually(t, 30*time.Second, "BE fetches the photo", func() error {
		if done, err := be.n.st.BlobComplete(id); !done {
			return errors.Join(err, errors.New("not complete"))
		}
		return nil
	})
	return photo, p.Seq, id
}

// TestVerifyRepairsDamagedAttachment: a chunk of a file BE fetched is
// damaged on BE's disk; verify, run with the daemon stopped, reports the
// blob and chunk as repairable and records it missing; once BE runs
// again it fetches the chunk from IN and the file opens byte-identical.
func TestVerifyRepairsDamagedAttachment(t *testing.T) {
	in, be := testNode(t, "IN"), newFixture(t, "BE")
	be.start()
	photo, seq, id := sharedPhoto(t, in, be)
	be.stop()
	damageBlobFile(t, be.dir, id, 2)
	st, err := store.Open(store.Options{Dir: be.dir})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := st.Verify(context.Background())
	st.Close()
	if err != nil || len(rep.Damaged) != 1 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	if d := rep.Damaged[0]; d.Blob != id.String() || d.Chunk != 2 || !d.Repairable || !d.Marked {
		t.Fatalf("damaged %+v, want chunk 2 of %s, repairable, marked", d, id)
	}
	n := be.start()
	if c, _ := n.st.BlobComplete(id); c {
		t.Fatal("the blob is complete after verify recorded a chunk missing")
	}
	if p, _ := n.AttachmentsPending(); p != 1 {
		t.Fatalf("%d attachments to fetch, want the damaged one", p)
	}
	eventually(t, 30*time.Second, "BE reconnects to IN", func() error {
		if !n.ex.Connected(in.ex.Host().ID()) {
			return errors.New("not connected")
		}
		return nil
	})
	var out bytes.Buffer
	if _, err := n.OpenAttachment(context.Background(), "IN", seq, FileRef{Name: "seal.jpg"}, &out); err != nil || !bytes.Equal(out.Bytes(), photo) {
		t.Fatalf("BE opens the repaired photo: %v, identical %v", err, bytes.Equal(out.Bytes(), photo))
	}
	if st, _ := n.Status(); st.Attachments.ChunksFetched < 1 || st.Attachments.ChunksFetched > 2 {
		t.Fatalf("BE fetched %d chunks, want the damaged one (a fetch resumes there: chunks 2 and 3 at most)", st.Attachments.ChunksFetched)
	}
	if rep, err := n.st.Verify(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("verify after the repair: %+v, %v", rep.Problems, err)
	}
}

// TestOpenRepairsDamagedAttachment: a chunk damaged on BE's disk while it
// runs is found by opening the file, recorded missing, fetched again from
// IN, and the file opens byte-identical without a damaged byte written.
func TestOpenRepairsDamagedAttachment(t *testing.T) {
	in, be := testNode(t, "IN"), newFixture(t, "BE")
	be.start()
	photo, seq, id := sharedPhoto(t, in, be)
	damageBlobFile(t, be.dir, id, 1)
	fetched := func() uint64 { st, _ := be.n.Status(); return st.Attachments.ChunksFetched }
	before := fetched()
	var out bytes.Buffer
	if _, err := be.n.OpenAttachment(context.Background(), "IN", seq, FileRef{Name: "seal.jpg"}, &out); err != nil || !bytes.Equal(out.Bytes(), photo) {
		t.Fatalf("BE opens the photo with a damaged chunk: %v, identical %v", err, bytes.Equal(out.Bytes(), photo))
	}
	if got := fetched() - before; got < 1 || got > 3 {
		t.Fatalf("BE fetched %d chunks to repair chunk 1 (a fetch resumes there: 3 at most)", got)
	}
	if rep, err := be.n.st.Verify(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("verify after the repair: %+v, %v", rep.Problems, err)
	}
}

// TestStatusCountsChunksHeld: while BE holds half of a file (as a fetch
// cut halfway leaves it), its status counts the chunks it holds, not the
// blob file's size, and says how much of the files still to fetch is
// held; once the file is fetched whole both say so.
func TestStatusCountsChunksHeld(t *testing.T) {
	in, be := testNode(t, "IN"), newFixture(t, "BE")
	be.configure = func(c *Config) { c.AttachmentEagerMB = -1 }
	be.start()
	pin(t, in, be.n)
	pin(t, be.n, in)
	scan := make([]byte, 3*blob.ChunkSize+500)
	_, _ = rand.NewChaCha8([32]byte{8}).Read(scan)
	f, err := in.AddAttachment(bytes.NewReader(scan), "scan.pdf", "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	p, err := in.Publish(context.Background(), protocol.NoticeType, withFiles(t, f), []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	whole := int64(3*blob.MaxChunkCiphertext + 500 + blob.Overhead)
	eventually(t, 30*time.Second, "BE counts the scan as still to fetch", func() error {
		if a := be.n.attachmentsStatus(); a.Pending != 1 || a.PendingBytes != whole || a.PendingHeldBytes != 0 || a.BytesHeld != 0 {
			return fmt.Errorf("attachments %+v", a)
		}
		return nil
	})
	id, _ := blob.ParseID(f.Blob)
	copyChunks(t, in.st, be.st, id, 0, 1)
	half := int64(2 * blob.MaxChunkCiphertext)
	if onDisk, _ := be.st.BlobBytes(); onDisk != whole {
		t.Fatalf("the blob file's apparent size is %d, want %d: the test proves nothing", onDisk, whole)
	}
	if a := be.n.attachmentsStatus(); a.Pending != 1 || a.PendingBytes != whole || a.PendingHeldBytes != half || a.BytesHeld != half {
		t.Fatalf("half fetched: %+v, want %d of %d held", a, half, whole)
	}
	var out bytes.Buffer
	if _, err := be.n.OpenAttachment(context.Background(), "IN", p.Seq, FileRef{Name: "scan.pdf"}, &out); err != nil || !bytes.Equal(out.Bytes(), scan) {
		t.Fatalf("BE opens the scan: %v", err)
	}
	if a := be.n.attachmentsStatus(); a.Pending != 0 || a.PendingBytes != 0 || a.BytesHeld != whole {
		t.Fatalf("fetched whole: %+v, want %d held", a, whole)
	}
}

// copyChunks stores chunks is of blob id from src in dst, with its
// manifest, as a fetch does.
func copyChunks(t *testing.T, src, dst *store.Store, id blob.ID, is ...int) {
	t.Helper()
	r, err := src.OpenBlob(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := dst.PutBlobManifest(id, r.Manifest.Encode()); err != nil {
		t.Fatal(err)
	}
	w, err := dst.NewBlobChunkWriter(id, r.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range is {
		ct, err := r.Chunk(i)
		if err == nil {
			err = w.Put(i, ct)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}
