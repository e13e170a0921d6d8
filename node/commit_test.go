package node

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestConcurrentPublishersGroupCommit: many concurrent publishers share
// disk flushes; every acknowledged entry is distinct, the feed is a gapless
// chain, the sync protocol never serves more than is on disk, and the
// partner receives them all.
func TestConcurrentPublishersGroupCommit(t *testing.T) {
	ns := mesh(t, "IN", "BE")
	in, be := ns[0], ns[1]
	const workers, each = 8, 40
	var mu sync.Mutex
	seqs := map[uint64]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				p, err := in.Publish(context.Background(), "notice", notice(t), []string{"BE"})
				if err != nil {
					t.Error(err)
					return
				}
				if got := in.own.SyncedSeq(); got < p.Seq {
					t.Errorf("publish of %d returned with only %d on disk", p.Seq, got)
				}
				mu.Lock()
				seqs[p.Seq] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seqs) != workers*each {
		t.Fatalf("%d distinct seqs acknowledged, want %d", len(seqs), workers*each)
	}
	if seqs[0] || !seqs[workers*each] {
		t.Fatalf("acknowledged seqs are not 1..%d", workers*each)
	}
	eventually(t, 60*time.Second, "BE holds all of IN's entries", func() error { return holds(be, "IN", workers*each) })
	rep, err := in.Verify(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
