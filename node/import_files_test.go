package node

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/protocol"
)

// certWithFiles returns certificate i (from 1) of certificates with files
// as its attachments member.
func certWithFiles(t *testing.T, i int, files ...protocol.AttachedFile) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(certificates(t, i)[i-1], &m); err != nil {
		t.Fatal(err)
	}
	m["attachments"] = files
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// racingPass makes n run a collection pass, with its clock past the
// retention, in the window between a publish's or import's check that
// its files are held and its record naming them; it returns what the
// pass deleted.
func racingPass(t *testing.T, n *Node, clock *shiftedClock) *[]blob.ID {
	t.Helper()
	var deleted []blob.ID
	n.blobLeases.afterCheck = func() {
		clock.set(8 * 24 * time.Hour)
		defer clock.set(0)
		res, err := n.collectBlobs(n.blobx.Load())
		if err != nil {
			t.Error(err)
		}
		deleted = append(deleted, res.Blobs...)
	}
	return &deleted
}

// TestPublishLeaseKeepsFilesFromRacingPass: a collection pass that runs
// after a publish checked its file is held, and before the record names
// it, keeps the file: the record never names a file nobody holds. Fails
// without the lease PublishRecord takes.
func TestPublishLeaseKeepsFilesFromRacingPass(t *testing.T) {
	var clock shiftedClock
	in := testNodeWith(t, "IN", func(n *Node) { n.now, n.blobRetry = clock.now, time.Hour })
	pin(t, in, testNode(t, "BE"))
	f, id := addFile(t, in, "lease")
	deleted := racingPass(t, in, &clock)
	if _, err := in.Publish(context.Background(), protocol.NoticeType, withFiles(t, f), []string{"BE"}); err != nil {
		t.Fatal(err)
	}
	if len(*deleted) != 0 || !held(t, in, id) {
		t.Fatalf("a pass racing the publish deleted %v: the published notice names a file nobody holds", *deleted)
	}
}

// TestImportLeaseKeepsFilesFromRacingPass is the same for an import of
// certificates with files. Fails without the lease the import takes.
func TestImportLeaseKeepsFilesFromRacingPass(t *testing.T) {
	var clock shiftedClock
	in := testNodeWith(t, "IN", func(n *Node) { n.now, n.blobRetry = clock.now, time.Hour })
	pin(t, in, testNode(t, "BE"))
	f, id := addFile(t, in, "scan")
	deleted := racingPass(t, in, &clock)
	res, err := in.Import(context.Background(), protocol.CertificateType, [][]byte{certWithFiles(t, 1, f)}, nil, false)
	if err != nil || res.New != 1 {
		t.Fatalf("import = %+v, %v", res, err)
	}
	if len(*deleted) != 0 || !held(t, in, id) {
		t.Fatalf("a pass racing the import deleted %v: the imported certificate names a file nobody holds", *deleted)
	}
	in.blobLeases.afterCheck = nil
	clock.set(8 * 24 * time.Hour)
	if r, err := in.collectBlobs(in.blobx.Load()); err != nil || len(r.Blobs) != 0 || !held(t, in, id) {
		t.Fatalf("pass after the import = %+v, %v: the certificate names the file", r, err)
	}
}

// TestImportRefusesFilesNotHeld: an import one of whose records names a
// file this node does not hold whole publishes nothing, and names the
// record and member at fault.
func TestImportRefusesFilesNotHeld(t *testing.T) {
	in := testNode(t, "IN")
	pin(t, in, testNode(t, "BE"))
	f, _ := addFile(t, in, "held")
	gone := f
	gone.Name, gone.Blob = "gone.pdf", "00"+f.Blob[2:]
	items := [][]byte{certWithFiles(t, 1, f), certWithFiles(t, 2, f, gone)}
	_, err := in.Import(context.Background(), protocol.CertificateType, items, nil, false)
	var ip *ImportProblems
	if !errors.As(err, &ip) || len(ip.Problems) != 1 || ip.Problems[0].Record != 1 || ip.Problems[0].Field != "attachments[1]" {
		t.Fatalf("import naming a file not held = %v, want record 2's attachments[1] refused", err)
	}
	if !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("err = %v, want ErrInvalidRecord", err)
	}
	if got := audiences(t, in); len(got) != 0 {
		t.Fatalf("%d entries published, want none", len(got))
	}
}

// TestRefusedImportFilesCollected: the files a refused import had sealed
// are named by no record, and the collection pass deletes them once past
// the retention: all or nothing leaves no file behind for good.
func TestRefusedImportFilesCollected(t *testing.T) {
	var clock shiftedClock
	in := testNodeWith(t, "IN", func(n *Node) { n.now, n.blobRetry = clock.now, time.Hour })
	pin(t, in, testNode(t, "BE"))
	f, id := addFile(t, in, "sealed")
	gone := f
	gone.Name, gone.Blob = "gone.pdf", "00"+f.Blob[2:]
	items := [][]byte{certWithFiles(t, 1, f), certWithFiles(t, 2, gone)}
	if _, err := in.Import(context.Background(), protocol.CertificateType, items, nil, false); err == nil {
		t.Fatal("import naming a file not held was not refused")
	}
	clock.set(8 * 24 * time.Hour)
	res, err := in.collectBlobs(in.blobx.Load())
	if err != nil || len(res.Blobs) != 1 || res.Blobs[0] != id || held(t, in, id) {
		t.Fatalf("pass after the refused import = %+v, %v, want its file deleted", res, err)
	}
}
