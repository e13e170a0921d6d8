package exchange

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// unreachable is a dialTarget whose partner never answers; it notes when
// each dial started.
type unreachable struct {
	mu    sync.Mutex
	dials []time.Time
}

func (u *unreachable) connected(peer.ID) bool { return false }
func (u *unreachable) relayed(peer.ID) bool   { return false }
func (u *unreachable) connectDirect(context.Context, peer.ID) error {
	return errors.New("not relayed: never dialled directly")
}

func (u *unreachable) connect(context.Context, peer.ID) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.dials = append(u.dials, time.Now())
	return errors.New("no route to host")
}

// TestDialerBacksOff: an unreachable partner is dialled at once, then
// after minBackoff, doubling, never more than maxBackoff (plus one tick of
// the dialer's loop) apart: what a partner waits, after an outage ends,
// for the next dial. A partner made due (a new address) is dialled at the
// next tick. On synctest's fake clock: a minute passes in milliseconds.
func TestDialerBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var p peer.ID = "partner"
		u := &unreachable{}
		d := newDialer(u, func() []peer.ID { return []peer.ID{p} }, func(peer.ID) bool { return true }, slog.New(slog.DiscardHandler))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); d.loop(ctx) }()
		time.Sleep(time.Minute)
		synctest.Wait()
		u.mu.Lock()
		dials := append([]time.Time(nil), u.dials...)
		u.mu.Unlock()
		if len(dials) < 5 {
			t.Fatalf("%d dials in a minute", len(dials))
		}
		want := minBackoff
		for i := 1; i < len(dials); i++ {
			gap := dials[i].Sub(dials[i-1])
			if gap < want || gap > want+dialTick {
				t.Fatalf("dial %d came %v after the one before, want %v to %v", i, gap, want, want+dialTick)
			}
			want = min(2*want, maxBackoff)
		}
		d.now(p) // a new address: due at once
		time.Sleep(dialTick)
		synctest.Wait()
		u.mu.Lock()
		n := len(u.dials)
		u.mu.Unlock()
		if n != len(dials)+1 {
			t.Fatalf("%d dials within a tick of now(), want %d", n-len(dials), 1)
		}
		cancel()
		<-done
	})
}
