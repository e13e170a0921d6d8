package exchange

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestHelloCancelsReceiptSession: a receipt session due with an author is
// cancelled by a hello to it (which carries the receipt), and the next
// pushed entry schedules a new one.
func TestHelloCancelsReceiptSession(t *testing.T) {
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.Decode(id.Public().PeerID())
	if err != nil {
		t.Fatal(err)
	}
	s := newSyncer(context.Background(), nil) // no session may start: none is triggered
	defer s.close()
	timer := func() *time.Timer {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.pending[p]
	}
	pending := func() bool { return timer() != nil }
	s.receiptDue(id.Public())
	first := timer()
	if first == nil {
		t.Fatal("no receipt session scheduled after a pushed entry")
	}
	s.receiptSent(p)
	if pending() {
		t.Fatal("the receipt session is still due after a hello to the author")
	}
	if first.Stop() {
		t.Fatal("the cancelled session's timer was still running")
	}
	s.receiptDue(id.Public())
	if !pending() {
		t.Fatal("an entry pushed after the hello scheduled no receipt session")
	}
	s.receiptSent(p)
}

// TestReceiptSessionWithinJitter: the receipt session of a pushed entry
// falls due between receiptDelay-receiptJitter and
// receiptDelay+receiptJitter after it, never earlier (a burst of pushes
// must batch into one session) nor later (the author waits for its proof
// of delivery). It runs on synctest's fake clock: each wait is exact.
func TestReceiptSessionWithinJitter(t *testing.T) {
	for range 20 { // the delay is drawn at random: try several
		synctest.Test(t, func(t *testing.T) {
			id, err := crypto.NewIdentity()
			if err != nil {
				t.Fatal(err)
			}
			p, err := peer.Decode(id.Public().PeerID())
			if err != nil {
				t.Fatal(err)
			}
			// No session may start (there is no node): the context is
			// cancelled and every session slot taken, so one triggered
			// returns at once.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			s := newSyncer(ctx, nil)
			for range maxConcurrentSyncs {
				s.sem <- struct{}{}
			}
			pending := func() bool {
				s.mu.Lock()
				defer s.mu.Unlock()
				return s.pending[p] != nil
			}
			s.receiptDue(id.Public())
			time.Sleep(receiptDelay - receiptJitter - time.Millisecond)
			synctest.Wait()
			if !pending() {
				t.Fatalf("the receipt session fell due before %v", receiptDelay-receiptJitter)
			}
			time.Sleep(2*receiptJitter + time.Millisecond)
			synctest.Wait()
			if pending() {
				t.Fatalf("the receipt session was not due by %v", receiptDelay+receiptJitter)
			}
			s.close()
		})
	}
}

// fakeDriver stands for the node under the syncer: partners a (quiet) and
// b (heard from lately); each session takes sessionLen of fake time.
type fakeDriver struct {
	a, b       peer.ID
	sessionLen time.Duration
	mu         sync.Mutex
	sessions   []string // "peer@seconds since the start"
	start      time.Time
}

func (f *fakeDriver) connectedPartners() []peer.ID      { return []peer.ID{f.a, f.b} }
func (f *fakeDriver) quiet(p peer.ID, _ time.Time) bool { return p == f.a }
func (f *fakeDriver) now() time.Time                    { return time.Now() }
func (f *fakeDriver) session(_ context.Context, p peer.ID) {
	f.mu.Lock()
	f.sessions = append(f.sessions, fmt.Sprintf("%s@%v", string(p), time.Since(f.start).Round(time.Millisecond)))
	f.mu.Unlock()
	time.Sleep(f.sessionLen)
}

func (f *fakeDriver) got() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprint(f.sessions)
}

// TestSyncerSchedule: the periodic loop starts a session each interval
// with the partners not heard from lately, and only with them; triggers
// that arrive during a session with a partner coalesce into one more
// session after it. On synctest's fake clock.
func TestSyncerSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeDriver{a: "a", b: "b", sessionLen: 2 * time.Second, start: time.Now()}
		ctx, cancel := context.WithCancel(t.Context())
		s := newSyncer(ctx, f)
		done := make(chan struct{})
		go func() { defer close(done); s.loop(10 * time.Second) }()
		time.Sleep(35 * time.Second)
		synctest.Wait()
		if want := "[a@10s a@20s a@30s]"; f.got() != want {
			t.Fatalf("periodic sessions %s, want %s", f.got(), want)
		}
		cancel()
		<-done
		s.close()

		f.sessions, f.start = nil, time.Now()
		s = newSyncer(t.Context(), f)
		s.trigger(f.b) // a session with b starts now...
		time.Sleep(time.Second)
		for range 3 {
			s.trigger(f.b) // ...and these, during it, make one more
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if want := "[b@0s b@2s]"; f.got() != want {
			t.Fatalf("sessions after four triggers %s, want %s (one running, one coalesced)", f.got(), want)
		}
		s.close()
	})
}
