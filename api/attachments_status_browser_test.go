package api

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// partlyHeld stores in st half of a file of 4 chunks that a partner's
// record names, as a fetch cut halfway leaves it.
func partlyHeld(st *store.Store) error {
	src, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		return err
	}
	defer src.Close()
	up, err := src.NewBlobUpload()
	if err != nil {
		return err
	}
	sealed, err := blob.Seal(bytes.NewReader(bytes.Repeat([]byte("scan "), 4*blob.ChunkSize/5)), blob.NewKey(), up.Put)
	if err != nil {
		return err
	}
	id, err := up.Commit(sealed.Manifest)
	if err != nil {
		return err
	}
	r, err := src.OpenBlob(id)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := st.PutBlobManifest(id, r.Manifest.Encode()); err != nil {
		return err
	}
	w, err := st.NewBlobChunkWriter(id, r.Manifest)
	if err != nil {
		return err
	}
	for i := range 2 {
		ct, err := r.Chunk(i)
		if err == nil {
			err = w.Put(i, ct)
		}
		if err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return st.AddBlobRef(id, store.BlobRef{Author: crypto.PublicKey{1}, Seq: 3, Size: r.Manifest.Size})
}

// TestOverviewShowsFetchProgressInBrowser: the overview says how many
// files are still to fetch and how much of them is held (half of a file
// of 4 chunks), and what the files held take. It passes axe.
func TestOverviewShowsFetchProgressInBrowser(t *testing.T) {
	src := loadAxe(t)
	in, _ := newTestAPIWith(t, "IN", partlyHeld)
	ctx := newBrowser(t)
	signInBrowser(t, ctx, in, "IN")
	waitFor(t, ctx, "the files line", visible("#attachments-pending"))
	got := textOf(t, ctx, "#attachments-pending")
	if !strings.Contains(got, "1 file still to fetch") || !strings.Contains(got, "0.1 MiB of 0.3 MiB fetched; 0.1 MiB held") {
		t.Errorf("the files line: %q", got)
	}
	checkAxe(t, ctx, src, "overview with a file to fetch")
	noPageErrors(t, ctx)
}
