package reach

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"golang.org/x/time/rate"
)

// CardProtocolID is the stream protocol over which a node sends a partner
// its own signed card: the card file's bytes, then the end of the stream.
// Nothing is answered: the receiver closes the stream once it has taken
// (or refused) the card, so that a sender that waits for that close before
// its next card has the cards taken in the order it sent them. The
// receiver accepts a card only as a refresh of the card it pinned (same
// key, new addresses).
const CardProtocolID protocol.ID = "/kpnode/card/1.0.0"

// cardTimeout bounds sending or reading a card (a few KiB).
const cardTimeout = 10 * time.Second

// SendCard sends card to partner p, over a relayed connection too, and
// returns once p has closed the stream (it took the card: [ReadCard]) or
// after cardTimeout.
func SendCard(ctx context.Context, h host.Host, p peer.ID, card []byte) error {
	ctx, cancel := context.WithTimeout(ctx, cardTimeout)
	defer cancel()
	s, err := h.NewStream(network.WithAllowLimitedConn(ctx, "card"), p, CardProtocolID)
	if err != nil {
		return fmt.Errorf("open card stream: %w", err)
	}
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(cardTimeout))
	if _, err := s.Write(card); err != nil {
		s.Reset()
		return fmt.Errorf("send card: %w", err)
	}
	if err := s.CloseWrite(); err != nil {
		return fmt.Errorf("send card: %w", err)
	}
	return awaitClose(s)
}

// awaitClose waits until the partner closes s (it took the card), within
// the stream's deadline.
func awaitClose(s network.Stream) error {
	n, err := s.Read(make([]byte, 1))
	switch {
	case err == io.EOF && n == 0:
		return nil
	case err == nil || err == io.EOF:
		s.Reset()
		return fmt.Errorf("send card: the partner answered; nothing is answered on %s", CardProtocolID)
	}
	s.Reset()
	return fmt.Errorf("send card: wait for the partner to take it: %w", err)
}

// ReadCard reads the card a partner sent on s, at most limit bytes. It
// resets s on an error; otherwise the caller closes s once it has taken
// the card: the sender waits for that close ([SendCard]).
func ReadCard(s network.Stream, limit int) ([]byte, error) {
	_ = s.SetDeadline(time.Now().Add(cardTimeout))
	b, err := io.ReadAll(io.LimitReader(s, int64(limit)+1))
	if err != nil {
		s.Reset()
		return nil, fmt.Errorf("read card: %w", err)
	}
	if len(b) > limit {
		s.Reset()
		return nil, fmt.Errorf("read card: more than %d bytes", limit)
	}
	return b, nil
}

// WatchAddrs calls changed each time the addresses the host advertises,
// relay addresses aside (a card never lists them), differ from the last
// seen, starting from signed (those on the card signed at start: a change
// between that signature and this call counts), until ctx ends or sub
// closes. sub is a subscription to the host's address changes
// (event.EvtLocalAddressesUpdated, the exchange's AddrUpdates); each
// event only wakes it, and the addresses are read from h.
func WatchAddrs(ctx context.Context, sub event.Subscription, h host.Host, signed []string, changed func()) {
	last := slices.Sorted(slices.Values(signed))
	for {
		if now := DirectAddrs(h); !slices.Equal(now, last) {
			last = now
			changed()
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-sub.Out():
			if !ok {
				return
			}
		}
	}
}

// DirectAddrs are the addresses the host advertises, relay addresses
// aside, sorted: what the node's card lists.
func DirectAddrs(h host.Host) []string {
	var out []string
	for _, a := range h.Addrs() {
		if !IsCircuit(a) {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return out
}

// Card refresh rate: a partner's sent cards are taken in a burst of
// cardBurst (a restart: the card at connect, then addresses settling),
// then one per cardEvery. Beyond it a card is dropped unread: a pinned
// partner cannot make the node rewrite its stored card and append to the
// audit log in a loop. A dropped refresh is sent again at the next
// connection.
const (
	cardBurst = 10
	cardEvery = time.Minute
)

// CardGate bounds how often each partner's sent card is taken.
type CardGate struct {
	mu  sync.Mutex // guards lim
	lim map[peer.ID]*rate.Limiter
}

// NewCardGate returns a gate with no partner seen yet.
func NewCardGate() *CardGate { return &CardGate{lim: map[peer.ID]*rate.Limiter{}} }

// Allow reports whether a card sent by partner p may be read now.
func (g *CardGate) Allow(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	l, ok := g.lim[p]
	if !ok {
		l = rate.NewLimiter(rate.Every(cardEvery), cardBurst)
		g.lim[p] = l
	}
	return l.Allow()
}

// Forget drops what the gate knows of p (a partner removed).
func (g *CardGate) Forget(p peer.ID) {
	g.mu.Lock()
	delete(g.lim, p)
	g.mu.Unlock()
}
