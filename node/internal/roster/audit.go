package roster

import "github.com/kpnode/kpnode/store"

// Audit actions of changes to the partners (docs/operations.md, "Audit
// log").
const (
	AuditPartnerAdd    = "partner.add"    // a card pinned (or re-pinned to refresh it)
	AuditPartnerRemove = "partner.remove" // a partner unpinned
	AuditPartnerPause  = "partner.pause"  // a partner's link paused
	AuditPartnerResume = "partner.resume" // a partner's link resumed
	AuditPartnerAddrs  = "partner.addrs"  // a partner's address override set or cleared
	// AuditPartnerCard is a partner's card with new addresses, sent by the
	// partner itself and signed by its pinned key (RefreshCard).
	AuditPartnerCard = "partner.card"
	// AuditPartnerRepin is an operator re-pinning a partner from a new
	// card after its key was compromised.
	AuditPartnerRepin = "partner.repin"
	// AuditPartnerRotate is a partner followed to its new key by a
	// hand-over entry.
	AuditPartnerRotate = "partner.rotate"
)

// partnerAudit is the audit event of a change to partner code by actor.
func partnerAudit(actor, action, code, fingerprint string, extra map[string]any) store.AuditEvent {
	d := map[string]any{"code": code, "fingerprint": fingerprint}
	for k, v := range extra {
		d[k] = v
	}
	return store.AuditEvent{Action: action, Actor: actor, Details: d}
}
