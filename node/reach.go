package node

import (
	"strings"

	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// code is partner p's participant code, for the log.
func (n *Node) code(p peer.ID) string {
	c, _ := n.roster.Snapshot().PartnerByPeer(p)
	return c
}

// cautionAnnounce logs a warning for each announce address a partner
// elsewhere cannot dial (loopback, private, link-local): valid, and kept,
// but most likely a mistake on a node that partners reach over the
// internet.
func (n *Node) cautionAnnounce() {
	addrs, err := reach.ParseAnnounce(n.cfg.Announce)
	if err != nil {
		return // refused at New already
	}
	for _, c := range reach.AnnounceCautions(addrs) {
		n.log.Warn("announce address not reachable from the internet", "detail", c)
	}
}

// watchAddrs re-signs this node's card each time the addresses the host
// advertises change (a new interface address, a listener, a port mapping)
// and sends it to the partners linked now; the others get it when they
// connect (the exchange's PartnerConnected). It returns when the node
// stops.
func (n *Node) watchAddrs() {
	var signed []string
	if si := n.startup.Load(); si != nil {
		signed = si.card.Card.Addrs
	}
	sub, err := n.ex.AddrUpdates()
	if err != nil {
		n.log.Warn("card refresh off", "err", err)
		return
	}
	defer sub.Close()
	h := n.ex.Host()
	reach.WatchAddrs(n.runCtx, sub, h, signed, func() {
		sc, err := n.signCard(h)
		if err != nil {
			n.log.Warn("re-sign card after an address change", "err", err)
			return
		}
		if si := n.startup.Load(); si != nil {
			n.startup.Store(&startInfo{card: sc, at: si.at})
		}
		n.log.Info("card re-signed: addresses changed", "addrs", strings.Join(sc.Card.Addrs, " "))
		for _, p := range n.ex.ConnectedPartners() {
			n.sendCard(p)
		}
	})
}

// sendCard sends this node's current card to partner p in the background
// (cardSender: one send at a time per partner, the card read when each
// starts, again if asked meanwhile). A partner that already holds it
// changes nothing.
func (n *Node) sendCard(p peer.ID) {
	if !n.started() || n.runCtx.Err() != nil {
		return // not started, or stopping: Close waits for n.wg
	}
	if !n.cardOut.start(p) {
		return // the running send is followed by one of the card current then
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			card := n.startup.Load().card.Bytes()
			if err := n.cardOut.send(n.runCtx, n.ex.Host(), p, card); err != nil {
				n.log.Debug("send card", "peer", p, "err", err)
			}
			if !n.cardOut.next(p) || n.runCtx.Err() != nil {
				return
			}
		}
	}()
}

// handleCard takes a card a partner sent of itself: accepted only as a
// refresh of the card pinned for it, same key, new addresses
// (roster.RefreshCard). The exchange serves it to admitted partners only
// (Service.Handle).
func (n *Node) handleCard(s network.Stream) {
	from := s.Conn().RemotePeer()
	if !n.cards.Allow(from) {
		n.log.Debug("partner's card dropped: too many", "peer", from)
		s.Reset()
		return
	}
	defer s.Close() // after the card is taken: the sender waits for it (reach.SendCard)
	b, err := reach.ReadCard(s, protocol.MaxCardSize)
	if err != nil {
		n.log.Debug("read partner's card", "peer", from, "err", err)
		return
	}
	if _, err := n.roster.RefreshCard(from, b); err != nil {
		n.log.Warn("partner's card refused", "peer", from, "err", err)
	}
}
