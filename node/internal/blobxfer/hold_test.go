package blobxfer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kpnode/kpnode/blob"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestHoldExcludesFetch: while the collection pass holds a blob, a fetch
// of it waits (here until its deadline) instead of running, and a blob a
// fetch holds cannot be held.
func TestHoldExcludesFetch(t *testing.T) {
	a := newNode(t, nil)
	id := blob.ID{7}
	release, ok := a.x.Hold(id)
	if !ok {
		t.Fatal("Hold of a free blob refused")
	}
	if _, ok := a.x.Hold(id); ok {
		t.Fatal("a blob held twice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := a.x.Fetch(ctx, Job{ID: id, MaxSize: 1}, []peer.ID{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fetch of a held blob = %v, want it to wait until its deadline", err)
	}
	release()
	if err := a.x.Fetch(fetchCtx(t), Job{ID: id, MaxSize: 1}, nil); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("fetch after release = %v, want it to run (no peer to ask)", err)
	}
	leave, err := a.x.enter(fetchCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	defer leave()
	if _, ok := a.x.Hold(id); ok {
		t.Fatal("a blob a fetch holds was held for collection")
	}
}
