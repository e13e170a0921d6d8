package ingest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// fakeRoster keeps one partner's feed; closing it is what a hand-over's
// Stored hook does through the real roster.
type fakeRoster struct {
	mu     sync.Mutex
	feeds  map[crypto.PublicKey]string
	closed map[crypto.PublicKey]roster.Closed
}

func (r *fakeRoster) FeedCode(k crypto.PublicKey) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.feeds[k]
	return c, ok
}

func (r *fakeRoster) ClosedAt(k crypto.PublicKey) (roster.Closed, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.closed[k]
	return f, ok
}

type noOpener struct{}

func (noOpener) Open(string, *protocol.Entry) (*store.Record, any) { return nil, nil }

// closingHooks closes the feed after the entry at closeAt is stored, as
// following a hand-over does.
type closingHooks struct {
	r       *fakeRoster
	closeAt uint64
	stored  []uint64
	retired []uint64
}

func (h *closingHooks) Stored(_ string, e *protocol.Entry, _ *store.Record, _ any) {
	h.stored = append(h.stored, e.Seq)
	if e.Seq == h.closeAt {
		h.r.mu.Lock()
		h.r.closed[e.Author] = roster.Closed{ValidThrough: e.Seq, Reason: roster.RetiredRotated}
		h.r.mu.Unlock()
	}
}
func (h *closingHooks) Equivocation(string, *protocol.Entry) {}
func (h *closingHooks) RetiredEntry(_ string, e *protocol.Entry, _ roster.Closed) {
	h.retired = append(h.retired, e.Seq)
}

func newTestPipeline(t *testing.T, closeAt uint64) (*Pipeline, *closingHooks, *crypto.Identity) {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	self, author := newID(t), newID(t)
	r := &fakeRoster{feeds: map[crypto.PublicKey]string{author.Public(): "BE"}, closed: map[crypto.PublicKey]roster.Closed{}}
	h := &closingHooks{r: r, closeAt: closeAt}
	pl := New(Config{Self: self.Public(), Store: st, Roster: r, Opener: noOpener{}, Hooks: h,
		Recovering: func() bool { return false }, Count: func(string, uint64) {}})
	return pl, h, author
}

func newID(t *testing.T) *crypto.Identity {
	t.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func chain(t *testing.T, id *crypto.Identity, n int) [][]byte {
	t.Helper()
	var out [][]byte
	var prev protocol.Hash
	for seq := uint64(1); seq <= uint64(n); seq++ {
		e, err := protocol.NewEntry(id, protocol.Draft{Seq: seq, Prev: prev, Time: time.Unix(1.7e9+int64(seq), 0).UTC(),
			Type: "notice", Audience: []string{"XX"}, Ciphertext: []byte("sealed")})
		if err != nil {
			t.Fatal(err)
		}
		out, prev = append(out, e.Bytes()), e.Hash()
	}
	return out
}

// TestCommitRechecksClosedFeeds: entries prepared together are committed
// in order, and one after a feed closed by the Stored hook of an earlier
// entry of the same batch is refused as a retired key's.
func TestCommitRechecksClosedFeeds(t *testing.T) {
	pl, h, author := newTestPipeline(t, 2)
	var got []Outcome
	for _, p := range pl.PrepareAll(chain(t, author, 4)) {
		r := pl.Commit(p)
		got = append(got, r.Outcome)
		if r.Outcome == Rejected && r.Reason != "retired_key" {
			t.Fatalf("refused as %q, want retired_key", r.Reason)
		}
	}
	if want := []Outcome{Stored, Stored, Rejected, Rejected}; !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if !slices.Equal(h.stored, []uint64{1, 2}) || !slices.Equal(h.retired, []uint64{3, 4}) {
		t.Fatalf("hooks saw stored %v and retired %v; want [1 2] and [3 4]", h.stored, h.retired)
	}
}

// TestCommitRunLeavesClosingToCommit: a run holding no hand-over is
// appended whole; a run of a closed feed is left to Commit, entry by entry.
func TestCommitRunLeavesClosingToCommit(t *testing.T) {
	pl, h, author := newTestPipeline(t, 0)
	raws := chain(t, author, 4)
	accept := func([]*protocol.Entry) bool { return true }
	if es := pl.CommitRun(pl.PrepareAll(raws[:2]), accept); len(es) != 2 || !slices.Equal(h.stored, []uint64{1, 2}) {
		t.Fatalf("run of two: %d stored, hooks saw %v", len(es), h.stored)
	}
	h.r.closed[author.Public()] = roster.Closed{ValidThrough: 3, Reason: roster.RetiredCompromised}
	if es := pl.CommitRun(pl.PrepareAll(raws[2:]), accept); es != nil {
		t.Fatalf("a run of a closed feed was appended whole (%d entries)", len(es))
	}
	if r := pl.Ingest(raws[0]); r.Outcome != Duplicate {
		t.Fatalf("an entry held already: %v, want Duplicate", r.Outcome)
	}
	stranger := chain(t, newID(t), 1)[0]
	if r := pl.Ingest(stranger); r.Outcome != Rejected || r.Reason != "not_partner" {
		t.Fatalf("an entry of no kept feed: %v %q, want rejected not_partner", r.Outcome, r.Reason)
	}
}
