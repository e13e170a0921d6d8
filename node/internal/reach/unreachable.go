package reach

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// unreachableTick is how often the partners' reachability is looked at.
const unreachableTick = time.Second

// Unreachable keeps, for each pinned partner, since when it has been
// neither connected nor relayed, and warns once (WARN, with the addresses
// the node dials it at) when that lasts longer than its threshold; it
// says so again at INFO when the partner is back.
type Unreachable struct {
	after time.Duration
	log   *slog.Logger

	mu     sync.Mutex // guards since and warned
	since  map[peer.ID]time.Time
	warned map[peer.ID]bool
}

// NewUnreachable warns about a partner unreachable for longer than after.
func NewUnreachable(after time.Duration, log *slog.Logger) *Unreachable {
	return &Unreachable{after: after, log: log, since: map[peer.ID]time.Time{}, warned: map[peer.ID]bool{}}
}

// Since returns when partner p was last found unreachable after being
// reachable (or since the first look), and false while it is reachable or
// was never looked at.
func (u *Unreachable) Since(p peer.ID) (time.Time, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	t, ok := u.since[p]
	return t, ok
}

// Observe records whether partner p (code) is linked at now; tried are
// the addresses the node dials it at, for the warning.
func (u *Unreachable) Observe(p peer.ID, code string, linked bool, tried []string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	since, down := u.since[p]
	switch {
	case linked && down:
		if u.warned[p] {
			u.log.Info("partner reachable again", "partner", code, "peer", p, "unreachable_for", now.Sub(since).Round(time.Second))
		}
		delete(u.since, p)
		delete(u.warned, p)
	case !linked && !down:
		u.since[p] = now
	case !linked && !u.warned[p] && now.Sub(since) >= u.after:
		u.warned[p] = true
		u.log.Warn("partner unreachable", "partner", code, "peer", p, "since", since.UTC().Format(time.RFC3339),
			"addrs_tried", tried)
	}
}

// forget drops partners no longer pinned.
func (u *Unreachable) forget(keep map[peer.ID]bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for p := range u.since {
		if !keep[p] {
			delete(u.since, p)
			delete(u.warned, p)
		}
	}
}

// Run observes the admitted partners on host h every second until ctx
// ends; code names a partner in the log.
func (u *Unreachable) Run(ctx context.Context, h host.Host, partners Partners, code func(peer.ID) string) {
	t := time.NewTicker(unreachableTick)
	defer t.Stop()
	for {
		keep := map[peer.ID]bool{}
		for _, p := range partners.Peers() {
			if !partners.Admits(p) {
				continue // paused: nobody dials it
			}
			keep[p] = true
			u.Observe(p, code(p), Linked(h.Network().Connectedness(p)), addrStrings(h, p), time.Now())
		}
		u.forget(keep)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func addrStrings(h host.Host, p peer.ID) []string {
	var out []string
	for _, a := range h.Peerstore().Addrs(p) {
		out = append(out, a.String())
	}
	return out
}
