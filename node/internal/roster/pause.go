package roster

import (
	"fmt"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PausePartner pauses (paused true) or resumes the link to partner code.
// A paused partner stays pinned: its feed is kept and entries addressed to
// it are still published, but the node closes its connections, refuses new
// ones at the handshake and stops dialling it, so nothing flows either way
// until it is resumed. The setting is stored and survives restarts.
// Testnets use it to partition the network without root privileges.
func (r *Roster) PausePartner(code string, paused bool) (Partner, error) {
	return r.pausePartner(store.ActorNode, code, paused)
}

func (r *Roster) pausePartner(actor, code string, paused bool) (Partner, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	verb := map[bool]string{true: "pause", false: "resume"}[paused]
	p, err := r.Pinned(code)
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
	if err := r.cfg.Store.PutPartnerAudited(p, partnerAudit(actor, action, code, sc.Fingerprint(), nil)); err != nil {
		return Partner{}, fmt.Errorf("%s partner %s: %w", verb, code, err)
	}
	for _, l := range r.listeners {
		l.Paused(pid, paused)
	}
	r.cfg.Event("partner_"+verb+"d", map[string]any{"partner": code})
	r.cfg.Log.Info("partner "+verb+"d", "partner", code)
	return r.partnerView(p, sc), nil
}
