package node

import "github.com/libp2p/go-libp2p/core/peer"

// reachPartners are the node's partners as package reach sees them: the
// roster's peers, admitted while pinned and not paused (the gater's).
type reachPartners struct{ n *Node }

func (r reachPartners) Peers() []peer.ID { return r.n.roster.Snapshot().Peers() }

func (r reachPartners) Admits(p peer.ID) bool {
	_, ok := r.n.roster.Snapshot().PartnerByPeer(p)
	return ok && r.n.gater.ok(p)
}

// code is partner p's participant code, for the log.
func (r reachPartners) code(p peer.ID) string {
	c, _ := r.n.roster.Snapshot().PartnerByPeer(p)
	return c
}
