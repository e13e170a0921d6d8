package exchange

import (
	"errors"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestServeSessionLimits drives a served session's bookkeeping without a
// network: entries sent are never sent again, whatever the order of the
// ranges; the session's and the day's budgets end in errServeBusy, and
// the day's is renewed a day later.
func TestServeSessionLimits(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	l := defaultServeLimits()
	l.sessionBytes, l.dayBytes, l.sessionRanges = 1000, 1500, 8
	ledger := newServeLedger(l, func() time.Time { return now })
	p := peer.ID("partner")
	var a, b crypto.PublicKey
	a[0], b[0] = 'a', 'b'

	s := newServeSession(p, ledger)
	s.sentRange(a, 10, 19, 100)
	s.sentRange(a, 40, 49, 100)
	s.sentRange(a, 20, 29, 100) // joins 10..19
	for _, c := range []struct {
		r     protocol.Range
		again bool
	}{
		{protocol.Range{Feed: a, From: 1, To: 9}, false},
		{protocol.Range{Feed: a, From: 30, To: 39}, false},
		{protocol.Range{Feed: a, From: 50, To: 1 << 40}, false},
		{protocol.Range{Feed: b, From: 10, To: 49}, false},
		{protocol.Range{Feed: a, From: 29, To: 30}, true},
		{protocol.Range{Feed: a, From: 1, To: 10}, true},
		{protocol.Range{Feed: a, From: 45, To: 45}, true},
		{protocol.Range{Feed: a, From: 1, To: 1 << 40}, true},
	} {
		err := s.admit([]protocol.Range{c.r})
		if got := errors.Is(err, errProtocol); got != c.again {
			t.Errorf("admit %d..%d of %c: %v, want asked again %v", c.r.From, c.r.To, c.r.Feed[0], err, c.again)
		}
	}
	// 4 ranges admitted above (the refused ones end a session anyway)
	more := []protocol.Range{{Feed: b, From: 100, To: 100}, {Feed: b, From: 200, To: 200}, {Feed: b, From: 300, To: 300}, {Feed: b, From: 400, To: 400}}
	if err := s.admit(more); err != nil {
		t.Errorf("ranges 5 to 8 of a session: %v", err)
	}
	if err := s.admit([]protocol.Range{{Feed: b, From: 1, To: 1}}); !errors.Is(err, errServeBusy) {
		t.Errorf("the 9th range of a session: %v, want busy (limit 8)", err)
	}

	s = newServeSession(p, ledger)
	if b := s.budget(); b.bytes != 1000 {
		t.Fatalf("a new session's budget: %d bytes, want the session's 1000", b.bytes)
	}
	s.sentRange(b, 1, 10, 1000)
	if err := s.admit([]protocol.Range{{Feed: b, From: 11, To: 20}}); !errors.Is(err, errServeBusy) {
		t.Errorf("a Want after the session's bytes: %v, want busy", err)
	}
	s = newServeSession(p, ledger) // 300 + 1000 bytes served today, 200 left
	if b := s.budget(); b.bytes != 200 {
		t.Errorf("budget with 200 bytes left today: %d", b.bytes)
	}
	s.sentRange(b, 11, 12, 200)
	if err := s.admit([]protocol.Range{{Feed: b, From: 13, To: 20}}); !errors.Is(err, errServeBusy) {
		t.Errorf("a Want after the day's bytes: %v, want busy", err)
	}
	now = now.Add(24 * time.Hour)
	if err := newServeSession(p, ledger).admit([]protocol.Range{{Feed: b, From: 13, To: 20}}); err != nil {
		t.Errorf("a day later: %v", err)
	}
}

// TestServeDayRanges: the ranges a partner asks for in a day are bounded
// across sessions, served or not (each costs a store seek).
func TestServeDayRanges(t *testing.T) {
	l := defaultServeLimits()
	l.sessionRanges, l.dayRanges = 4, 10
	ledger := newServeLedger(l, time.Now)
	var unknown crypto.PublicKey
	asked := 0
	for session := 0; session < 10; session++ {
		s := newServeSession(peer.ID("partner"), ledger)
		for i := uint64(0); i < 4; i++ {
			err := s.admit([]protocol.Range{{Feed: unknown, From: 1 + 10*i, To: 1 + 10*i}})
			if err != nil {
				if !errors.Is(err, errServeBusy) || asked != 10 {
					t.Fatalf("after %d ranges: %v, want busy after 10", asked, err)
				}
				return
			}
			asked++
		}
	}
	t.Fatalf("%d ranges asked over 10 sessions, limit 10 a day", asked)
}

// TestWantBudget: an answer stops at its entry or byte budget; its first
// entry always goes out while any byte is left, so an entry larger than
// the budget does not block its feed.
func TestWantBudget(t *testing.T) {
	b := wantBudget{entries: 3, bytes: 100}
	if !b.takes(500, true) || b.takes(1, false) {
		t.Fatal("a first entry over the budget: want it taken, and nothing after it")
	}
	b = wantBudget{entries: 2, bytes: 1000}
	if !b.takes(10, true) || !b.takes(10, false) || b.takes(10, false) {
		t.Fatal("want 2 entries taken, not 3")
	}
	b = wantBudget{entries: 5, bytes: 0}
	if b.takes(1, true) {
		t.Fatal("an entry taken with no byte left")
	}
}

// TestServeLedgerSessionsAtOnce: a partner gets limits.sessions served at
// once; closing one admits the next.
func TestServeLedgerSessionsAtOnce(t *testing.T) {
	l := newServeLedger(defaultServeLimits(), time.Now)
	p := peer.ID("partner")
	for i := range l.limits.sessions {
		if err := l.open(p); err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
	}
	if err := l.open(p); !errors.Is(err, errServeBusy) {
		t.Fatalf("one more session at once: %v, want busy", err)
	}
	if err := l.open(peer.ID("other")); err != nil {
		t.Fatalf("another partner refused: %v", err)
	}
	l.close(p)
	if err := l.open(p); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
}
