package node

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/protocol"
)

// scanFile adds content to n as a file named scan.pdf.
func scanFile(t *testing.T, n *Node, content []byte) protocol.AttachedFile {
	t.Helper()
	f, err := n.AddAttachment(bytes.NewReader(content), "scan.pdf", "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// importBatch imports certificates (bodies) as one batch entry of n and
// returns its seq.
func importBatch(t *testing.T, n *Node, certs ...[]byte) uint64 {
	t.Helper()
	res, err := n.Import(context.Background(), protocol.CertificateType, certs, nil, false)
	if err != nil || res.New != len(certs) || len(res.Entries) != 1 {
		t.Fatalf("import = %+v, %v; want %d certificates in one entry", res, err, len(certs))
	}
	return res.Entries[0].Seq
}

// openBytes opens ref of IN/seq on n and returns its bytes.
func openBytes(t *testing.T, n *Node, seq uint64, ref FileRef) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	_, err := n.OpenAttachment(context.Background(), "IN", seq, ref, &out)
	return out.Bytes(), err
}

// TestBatchFilesOfOneNameOpenByItem: two certificates of one batch each
// carry a different file named scan.pdf. The name alone is refused as
// ambiguous, naming both items, and writes nothing; each item's file
// opens byte-identical by its item; the states give each file its item.
// Fails without the item: the name alone opened the first item's file.
func TestBatchFilesOfOneNameOpenByItem(t *testing.T) {
	in := testNode(t, "IN")
	pin(t, in, testNode(t, "BE"))
	first, second := bytes.Repeat([]byte("first "), blob.ChunkSize/3), bytes.Repeat([]byte("second"), blob.ChunkSize/2)
	seq := importBatch(t, in, certWithFiles(t, 1, scanFile(t, in, first)), certWithFiles(t, 2, scanFile(t, in, second)))
	got, err := openBytes(t, in, seq, FileRef{Name: "scan.pdf"})
	if !errors.Is(err, ErrAmbiguousAttachment) || len(got) != 0 || !strings.Contains(err.Error(), "items 1, 2 counting from 1 (item=0, 1 in the API)") {
		t.Fatalf("scan.pdf without an item: %v, %d bytes written; want ErrAmbiguousAttachment naming items 1, 2 (item=0, 1)", err, len(got))
	}
	for i, want := range [][]byte{first, second} {
		if got, err := openBytes(t, in, seq, ItemFile("scan.pdf", i)); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("scan.pdf of item %d: %v, identical %v", i, err, bytes.Equal(got, want))
		}
	}
	if _, err := openBytes(t, in, seq, ItemFile("scan.pdf", 2)); !errors.Is(err, ErrNoAttachment) {
		t.Fatalf("scan.pdf of item 2 (the batch has 2): %v, want ErrNoAttachment", err)
	}
	states, err := in.AttachmentStates("IN", seq)
	if err != nil || len(states) != 2 || states[0].Item == nil || *states[0].Item != 0 || states[1].Item == nil || *states[1].Item != 1 {
		t.Fatalf("states %+v, %v; want scan.pdf of items 0 and 1", states, err)
	}
}

// TestBatchUniqueNameOpensWithoutItem: a name that only one item has,
// or that several items have for the same file, opens by name alone (as
// before items were given); an item on a record that is not a batch is
// refused.
func TestBatchUniqueNameOpensWithoutItem(t *testing.T) {
	in := testNode(t, "IN")
	pin(t, in, testNode(t, "BE"))
	shared, own := bytes.Repeat([]byte("shared"), 1000), bytes.Repeat([]byte("own"), 1000)
	f := scanFile(t, in, own)
	f.Name = "own.pdf"
	seq := importBatch(t, in, certWithFiles(t, 1, scanFile(t, in, shared)), certWithFiles(t, 2, scanFile(t, in, shared), f))
	for name, want := range map[string][]byte{"scan.pdf": shared, "own.pdf": own} {
		if got, err := openBytes(t, in, seq, FileRef{Name: name}); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s without an item: %v, identical %v", name, err, bytes.Equal(got, want))
		}
	}
	if _, err := openBytes(t, in, seq, ItemFile("own.pdf", 0)); !errors.Is(err, ErrNoAttachment) {
		t.Fatalf("own.pdf of item 0, which has none: %v, want ErrNoAttachment", err)
	}
	p, err := in.Publish(context.Background(), protocol.NoticeType, withFiles(t, f), []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openBytes(t, in, p.Seq, ItemFile("own.pdf", 0)); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("an item of a notice: %v, want ErrInvalidRequest", err)
	}
	if got, err := openBytes(t, in, p.Seq, FileRef{Name: "own.pdf"}); err != nil || !bytes.Equal(got, own) {
		t.Fatalf("own.pdf of the notice: %v", err)
	}
}
