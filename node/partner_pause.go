package node

import (
	"fmt"

	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PausePartner pauses (paused true) or resumes the link to partner code.
// A paused partner stays pinned: its feed is kept and entries addressed to
// it are still published, but the node closes its connections, refuses new
// ones at the handshake and stops dialling it, so nothing flows either way
// until it is resumed. The setting is stored and survives restarts.
// Testnets use it to partition the network without root privileges.
func (n *Node) PausePartner(code string, paused bool) (Partner, error) {
	n.partnersMu.Lock()
	defer n.partnersMu.Unlock()
	verb := map[bool]string{true: "pause", false: "resume"}[paused]
	p, err := n.pinnedPartner(code)
	if err != nil {
		return Partner{}, fmt.Errorf("%s partner %s: %w", verb, code, err)
	}
	sc, err := protocol.ParseCard(p.Card)
	if err != nil {
		return Partner{}, fmt.Errorf("stored card of partner %s: %w", code, err)
	}
	pid, err := peer.Decode(sc.Card.PeerID)
	if err != nil {
		return Partner{}, fmt.Errorf("stored card of partner %s: %w", code, err)
	}
	p.Paused = paused
	action := map[bool]string{true: AuditPartnerPause, false: AuditPartnerResume}[paused]
	if err := n.st.PutPartnerAudited(p, partnerAudit(action, code, sc.Fingerprint(), nil)); err != nil {
		return Partner{}, fmt.Errorf("%s partner %s: %w", verb, code, err)
	}
	n.gater.pause(pid, paused)
	if h := n.currentHost(); h != nil {
		if paused {
			_ = h.Network().ClosePeer(pid)
		} else {
			n.dialer.now(pid)
		}
	}
	n.events.emit("partner_"+verb+"d", map[string]any{"partner": code})
	n.log.Info("partner "+verb+"d", "partner", code)
	return partnerView(p, sc), nil
}
