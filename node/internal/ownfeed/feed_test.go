package ownfeed

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

type announced struct {
	mu   sync.Mutex
	seqs []uint64
}

func (a *announced) add(e *protocol.Entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seqs = append(a.seqs, e.Seq)
}

func newTestFeed(t *testing.T, recovering bool, partners ...string) (*Feed, *announced) {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if recovering {
		if err := st.MarkRecovering("test"); err != nil {
			t.Fatal(err)
		}
	}
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	var ps []store.Partner
	for _, c := range partners {
		ps = append(ps, store.Partner{Code: c})
	}
	a := &announced{}
	f, err := New(Config{ID: id, Store: st, Now: time.Now, Announce: a.add, Event: func(string, map[string]any) {},
		Partners: func() []store.Partner { return ps }})
	if err != nil {
		t.Fatal(err)
	}
	return f, a
}

func draft(typ string) protocol.Draft {
	return protocol.Draft{Type: typ, Audience: []string{"BE"}, Ciphertext: []byte("sealed")}
}

// TestAppendsAreDurableAndAnnouncedInOrder: concurrent appends make a
// gapless chain; each returns only once its entry is on disk, and every
// entry is announced once, in seq order.
func TestAppendsAreDurableAndAnnouncedInOrder(t *testing.T) {
	f, a := newTestFeed(t, false)
	const workers, each = 6, 15
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				e, err := f.Append(draft("notice"), nil)
				if err != nil {
					t.Error(err)
					return
				}
				if got := f.SyncedSeq(); got < e.Seq {
					t.Errorf("append of %d returned with %d on disk", e.Seq, got)
				}
			}
		})
	}
	wg.Wait()
	want := make([]uint64, workers*each)
	for i := range want {
		want[i] = uint64(i + 1)
	}
	if !slices.Equal(a.seqs, want) {
		t.Fatalf("announced %v, want 1..%d in order", a.seqs, workers*each)
	}
}

// TestRecoveryGate: a recovering feed refuses appends until a partner has
// reported its copy and the feed holds as much; then appends resume.
func TestRecoveryGate(t *testing.T) {
	f, _ := newTestFeed(t, true, "BE")
	if _, err := f.Append(draft("notice"), nil); !errors.Is(err, ErrOwnHeadUnconfirmed) {
		t.Fatalf("append while recovering: %v, want ErrOwnHeadUnconfirmed", err)
	}
	f.CheckRecovered()
	if !f.Recovering() {
		t.Fatal("recovery ended before any partner reported")
	}
	f.NoteOwnHead("BE", protocol.Receipt{}) // BE holds none of this feed
	if f.Recovering() {
		t.Fatalf("still recovering after the only partner reported: %+v", f.RecoveryStatus())
	}
	if _, err := f.Append(draft("notice"), nil); err != nil {
		t.Fatalf("append after recovery: %v", err)
	}
}

// TestHandoverEndsTheFeed: once a hand-over is appended, nothing more is.
func TestHandoverEndsTheFeed(t *testing.T) {
	f, _ := newTestFeed(t, false)
	if _, err := f.Append(draft(protocol.HandoverType), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append(draft("notice"), nil); !errors.Is(err, ErrKeyRetired) {
		t.Fatalf("append after the hand-over: %v, want ErrKeyRetired", err)
	}
}
