package reach

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// syncBuffer is a log sink safe for the Run goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUnreachableWarnsOnceAfterThreshold: no warning before the
// threshold, one WARN naming the partner and the addresses tried after
// it, none repeated, INFO when back, and the clock starts again after.
func TestUnreachableWarnsOnceAfterThreshold(t *testing.T) {
	var logs syncBuffer
	u := NewUnreachable(time.Minute, slog.New(slog.NewTextHandler(&logs, nil)))
	p := peer.ID("partner")
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tried := []string{"/ip4/203.0.113.7/tcp/4101"}
	u.Observe(p, "ZA", false, tried, t0)
	u.Observe(p, "ZA", false, tried, t0.Add(59*time.Second))
	if strings.Contains(logs.String(), "WARN") {
		t.Fatalf("warned before the threshold: %s", logs.String())
	}
	if since, ok := u.Since(p); !ok || !since.Equal(t0) {
		t.Fatalf("since %v %v, want %v", since, ok, t0)
	}
	u.Observe(p, "ZA", false, tried, t0.Add(time.Minute))
	u.Observe(p, "ZA", false, tried, t0.Add(2*time.Minute))
	out := logs.String()
	if strings.Count(out, "level=WARN") != 1 || !strings.Contains(out, "partner=ZA") || !strings.Contains(out, tried[0]) {
		t.Fatalf("want one WARN naming ZA and %s, got: %s", tried[0], out)
	}
	u.Observe(p, "ZA", true, tried, t0.Add(3*time.Minute))
	if _, ok := u.Since(p); ok || !strings.Contains(logs.String(), "partner reachable again") {
		t.Fatalf("back: still unreachable, or no INFO: %s", logs.String())
	}
	u.Observe(p, "ZA", false, tried, t0.Add(4*time.Minute))
	u.Observe(p, "ZA", false, tried, t0.Add(4*time.Minute+30*time.Second))
	if strings.Count(logs.String(), "level=WARN") != 1 {
		t.Fatalf("warned again 30s into a new outage: %s", logs.String())
	}
}

// TestUnreachableRunWatchesHost: on real hosts, a pinned partner that is
// not running is warned about with its address; a connected one is not.
func TestUnreachableRunWatchesHost(t *testing.T) {
	var logs syncBuffer
	h := newTestHost(t, DefaultConfig(), loopback, &pinned{})
	up := newTestHost(t, DefaultConfig(), loopback, &pinned{})
	down, err := buildHost(DefaultConfig(), loopback, &pinned{})
	if err != nil {
		t.Fatal(err)
	}
	downAddr := directListen(t, down)
	h.Peerstore().AddAddr(down.ID(), mustAddr(t, downAddr), time.Hour)
	down.Close()
	if err := connectTo(t, h, up); err != nil {
		t.Fatal(err)
	}
	partners := &pinned{}
	partners.add(up.ID(), down.ID())
	u := NewUnreachable(time.Second, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		u.Run(ctx, h, partners, func(p peer.ID) string { return map[peer.ID]string{up.ID(): "UP", down.ID(): "DN"}[p] })
	}()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "level=WARN") {
		if time.Now().After(deadline) {
			t.Fatal("no warning within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := logs.String()
	if !strings.Contains(out, "partner=DN") || !strings.Contains(out, downAddr) || strings.Contains(out, "partner=UP") {
		t.Fatalf("want a WARN for DN at %s only: %s", downAddr, out)
	}
	if _, ok := u.Since(up.ID()); ok {
		t.Fatal("connected partner counted unreachable")
	}
}

// TestCardGateBoundsEachPartner: a partner's burst passes, the next card
// is dropped, another partner is not affected.
func TestCardGateBoundsEachPartner(t *testing.T) {
	g := NewCardGate()
	a, b := peer.ID("a"), peer.ID("b")
	for i := range cardBurst {
		if !g.Allow(a) {
			t.Fatalf("card %d of the burst dropped", i+1)
		}
	}
	if g.Allow(a) {
		t.Fatal("a card beyond the burst taken")
	}
	if !g.Allow(b) {
		t.Fatal("another partner's card dropped")
	}
	g.Forget(a)
	if !g.Allow(a) {
		t.Fatal("a forgotten partner is still limited")
	}
}
