package exchange

import (
	"fmt"

	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// The network's side of a roster change ([roster.Listener]): the node's
// listener forwards each change here.

// Admitted lets partner p's peer connect, paused or not, at its addresses.
func (s *Service) Admitted(p store.Partner, pid peer.ID) {
	s.gater.allow(pid)
	s.gater.pause(pid, p.Paused)
	s.allow.setAddrs(pid, roster.Addrs(p))
}

// Removed refuses a removed partner's peer, forgets what was kept about
// it, leaves its topic and closes its connections.
func (s *Service) Removed(p store.Partner, pid peer.ID) {
	s.gater.deny(pid)
	s.allow.forget(pid)
	s.delivery.forget(pid)
	s.abuse.forget(pid)
	s.serving.forget(pid)
	s.scores.forget(pid)
	s.gossip.leave(p.Key)
	s.disconnect(pid)
}

// PeerRetired refuses the peer of a retired key and closes its
// connections.
func (s *Service) PeerRetired(pid peer.ID) {
	s.gater.deny(pid)
	s.allow.forget(pid)
	s.delivery.forget(pid)
	s.disconnect(pid)
}

// AddrsSet replaces the addresses of partner peer pid and dials it at once.
func (s *Service) AddrsSet(pid peer.ID, addrs []string) {
	s.allow.setAddrs(pid, addrs)
	redial(s.host, pid, addrs)
	s.dialer.now(pid)
}

// Paused closes a paused partner's connections and refuses new ones, or
// dials a resumed one.
func (s *Service) Paused(pid peer.ID, paused bool) {
	s.gater.pause(pid, paused)
	if paused {
		_ = s.host.Network().ClosePeer(pid)
	} else {
		s.dialer.now(pid)
	}
}

// disconnect unprotects pid's connections and closes them.
func (s *Service) disconnect(pid peer.ID) {
	s.host.ConnManager().Unprotect(pid, partnerTag)
	s.host.Network().ClosePeer(pid)
}

// Attach gives the host the partner's addresses, protects its
// connections from the connection manager's trimming, joins its feed
// topic and makes it due for a dial. Attaching a partner again only
// renews its addresses and its dial.
func (s *Service) Attach(p store.Partner) error {
	pid, err := peer.Decode(p.Key.PeerID())
	if err != nil {
		return fmt.Errorf("partner %s: %w", p.Code, err)
	}
	setAddrs(s.host, pid, roster.Addrs(p))
	s.host.ConnManager().Protect(pid, partnerTag)
	ft, joined, err := s.gossip.join(p.Key, s.validate, true)
	if err != nil {
		return fmt.Errorf("partner %s: %w", p.Code, err)
	}
	if joined {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); drain(s.runCtx, ft.sub) }()
	}
	s.dialer.now(pid)
	return nil
}

// partnerTag marks partners' connections in the connection manager as
// protected: they are never trimmed, whatever else connects.
const partnerTag = "kpnode-partner"

// redial replaces the addresses the host knows for p and forgets the
// swarm's dial backoff of p, so that the next dial tries them at once.
func redial(h host.Host, p peer.ID, addrs []string) {
	setAddrs(h, p, addrs)
	clearBackoff(h, p)
}

// clearBackoff forgets the swarm's dial backoff of p (5 s plus the square
// of the failed tries in seconds, up to 5 minutes), so that the next dial
// tries its addresses at once: the dialer keeps its own, shorter, backoff
// for partners.
func clearBackoff(h host.Host, p peer.ID) {
	if s, ok := h.Network().(interface{ Backoff() *swarm.DialBackoff }); ok {
		s.Backoff().Clear(p)
	}
}
