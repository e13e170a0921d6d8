package node

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/kpnode/kpnode/protocol"
)

// shiftedClock is a node clock a test moves forward past the retention.
type shiftedClock struct{ ahead atomic.Int64 }

func (c *shiftedClock) now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

func (c *shiftedClock) set(d time.Duration) { c.ahead.Store(int64(d)) }

func addFile(t *testing.T, n *Node, content string) (protocol.AttachedFile, blob.ID) {
	t.Helper()
	f, err := n.AddAttachment(bytes.NewReader(bytes.Repeat([]byte(content), blob.ChunkSize/2)), content+".pdf", "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := blob.ParseID(f.Blob)
	return f, id
}

func held(t *testing.T, n *Node, id blob.ID) bool {
	t.Helper()
	ok, err := n.st.BlobComplete(id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestBlobGCRacesPublishAndFetch: a collection pass keeps a blob a
// publish has checked and not yet named, and one a fetch has in flight;
// once both end it deletes them; a publish after that is refused (the
// blob is gone) instead of naming a file nobody holds; a published file
// is kept; the store verifies clean.
func TestBlobGCRacesPublishAndFetch(t *testing.T) {
	var clock shiftedClock
	in := testNodeWith(t, "IN", func(n *Node) { n.now, n.blobRetry = clock.now, time.Hour })
	pin(t, in, testNode(t, "BE"))
	f1, id1 := addFile(t, in, "a")
	_, id2 := addFile(t, in, "b")
	x := in.blobx.Load()
	releasePublish := in.blobLeases.take([]protocol.AttachedFile{f1}) // what PublishRecord takes
	releaseFetch, ok := x.Hold(id2)                                   // the slot a fetch in flight holds
	if !ok {
		t.Fatal("blob b already held")
	}
	clock.set(8 * 24 * time.Hour)
	res, err := in.collectBlobs(x)
	if err != nil || len(res.Blobs) != 0 || !held(t, in, id1) || !held(t, in, id2) {
		t.Fatalf("pass during publish and fetch = %+v, %v", res, err)
	}
	releasePublish()
	releaseFetch()
	if res, err = in.collectBlobs(x); err != nil || len(res.Blobs) != 2 || held(t, in, id1) || held(t, in, id2) {
		t.Fatalf("pass after = %+v, %v, want both deleted", res, err)
	}
	clock.set(0)
	ctx := context.Background()
	if _, err := in.Publish(ctx, protocol.NoticeType, withFiles(t, f1), []string{"BE"}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("publish of a collected file = %v, want refused", err)
	}
	f1, id1 = addFile(t, in, "a") // sealed again
	if _, err := in.Publish(ctx, protocol.NoticeType, withFiles(t, f1), []string{"BE"}); err != nil {
		t.Fatal(err)
	}
	clock.set(8 * 24 * time.Hour)
	if res, err = in.collectBlobs(x); err != nil || len(res.Blobs) != 0 || !held(t, in, id1) {
		t.Fatalf("pass after publish = %+v, %v, want the published file kept", res, err)
	}
	if rep, err := in.st.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("verify after collection: %+v, %v", rep.Problems, err)
	}
}

// TestBlobGCRunsPeriodically: the retry loop collects an unnamed blob
// past the retention and status shows the bytes held fall to zero.
func TestBlobGCRunsPeriodically(t *testing.T) {
	var clock shiftedClock
	clock.set(8 * 24 * time.Hour)
	in := testNodeWith(t, "IN", func(n *Node) { n.now, n.blobRetry = clock.now, 20*time.Millisecond })
	_, id := addFile(t, in, "c")
	eventually(t, 10*time.Second, "the loop collects the blob", func() error {
		if held(t, in, id) {
			return errors.New("still held")
		}
		if b := in.attachmentsStatus().BytesHeld; b != 0 {
			return errors.New("bytes held not zero")
		}
		return nil
	})
}

// TestAttachmentRetentionConfig: 0 is the 7-day default, below 1h is
// refused (a pass would delete relayed blobs before partners fetch them).
func TestAttachmentRetentionConfig(t *testing.T) {
	c := DefaultConfig("IN", "India")
	if c.attachmentRetention() != 7*24*time.Hour || c.Validate() != nil {
		t.Fatalf("default retention %s, %v", c.attachmentRetention(), c.Validate())
	}
	c.AttachmentRetention = Duration(30 * time.Minute)
	if err := c.Validate(); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("30m retention = %v, want refused", err)
	}
	c.AttachmentRetention = Duration(48 * time.Hour)
	if c.Validate() != nil || c.attachmentRetention() != 48*time.Hour {
		t.Fatalf("48h retention: %v", c.Validate())
	}
}
