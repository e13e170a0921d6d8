package node

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// ErrOwnHeadUnconfirmed is returned by every append to this node's own
// feed (publish, import, acknowledgements) while the store is flagged as
// recovering (see [store.Store.MarkRecovering]): the node has not yet
// learned its own latest head from its partners, and an entry signed now
// could fork its feed.
var ErrOwnHeadUnconfirmed = errors.New("own head unconfirmed: this node's keys were restored and it has not yet learned its own latest head from its partners")

// AuditRecoveryForce is the audit action of an operator ending recovery
// without the partners' heads (kpnode recover --force).
const AuditRecoveryForce = "recovery.force"

// defaultRecoveryWait is how long a recovering node waits for partners
// that have not told it their copy of its feed, once at least one has.
const defaultRecoveryWait = 2 * time.Minute

// recovery tracks what a recovering node has learned of its own feed.
//
// The rule (docs/security.md, "Keys"): the node may append again once
//   - at least one partner has told it (in a sync hello) how much of its
//     feed it holds, and every other pinned, unpaused partner has too, or
//     wait has passed since the node started, and
//   - its own feed, pulled back from the partners and verified, reaches
//     the highest head any of them reported, with the same hash.
type recovery struct {
	wait time.Duration // immutable after New; tests shorten it before Start

	mu     sync.Mutex // guards the fields below
	active bool
	reason string
	start  time.Time                   // when this run began waiting
	heads  map[string]protocol.Receipt // partner code -> its receipt of our feed (zero: holds none)
	// refuted are the reports a session showed false (refuteOwnHead), by
	// partner code: the same report is not taken again.
	refuted map[string]protocol.Receipt
}

// RecoveryStatus is the recovery state in [Status].
type RecoveryStatus struct {
	// Recovering is set while appends are refused with
	// [ErrOwnHeadUnconfirmed].
	Recovering bool   `json:"recovering"`
	Reason     string `json:"reason,omitempty"`
	// Reported lists, by partner code, the head of this node's feed each
	// partner reported since the node started.
	Reported map[string]uint64 `json:"reported,omitempty"`
	// Missing lists the partners that have not reported yet.
	Missing []string `json:"missing,omitempty"`
	// Target is the highest head reported; OwnHead is how much of its own
	// feed the node holds.
	Target  uint64 `json:"target"`
	OwnHead uint64 `json:"own_head"`
	// WaitUntil is when the node stops waiting for missing partners.
	WaitUntil time.Time `json:"wait_until,omitzero"`
}

// loadRecovery reads the store's recovery flag.
func (n *Node) loadRecovery() error {
	reason, ok, err := n.st.Recovering()
	if err != nil {
		return err
	}
	r := n.recovery
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active, r.reason, r.start = ok, reason, n.now()
	r.heads, r.refuted = map[string]protocol.Receipt{}, map[string]protocol.Receipt{}
	return nil
}

// recovering reports whether own appends are refused.
func (n *Node) recovering() bool {
	n.recovery.mu.Lock()
	defer n.recovery.mu.Unlock()
	return n.recovery.active
}

// checkAppend refuses an own append while recovering, or after this
// node's key has handed over.
func (n *Node) checkAppend() error {
	if n.handedOver.Load() {
		return ErrKeyRetired
	}
	if n.recovering() {
		return ErrOwnHeadUnconfirmed
	}
	return nil
}

// noteOwnHead records, while recovering, partner code's copy of this
// node's feed as its hello told it (a zero receipt: it holds none), then
// re-checks the rule.
func (n *Node) noteOwnHead(code string, r protocol.Receipt) {
	rc := n.recovery
	rc.mu.Lock()
	if f, ok := rc.refuted[code]; !rc.active || (ok && f.Seq == r.Seq && f.Hash == r.Hash) {
		rc.mu.Unlock()
		return
	}
	rc.heads[code] = r
	rc.mu.Unlock()
	n.checkRecovered()
}

// refuteOwnHead drops, while recovering, partner p's report of this
// node's feed: a session asked p for it and p served nothing more than
// held. p counts as not having reported (the wait for missing partners
// applies), and it is charged a violation.
func (n *Node) refuteOwnHead(p peer.ID, held uint64) {
	code, _ := n.roster.Snapshot().PartnerByPeer(p)
	rc := n.recovery
	rc.mu.Lock()
	r, ok := rc.heads[code]
	if ok && rc.active {
		delete(rc.heads, code)
		rc.refuted[code] = r
	}
	rc.mu.Unlock()
	if !ok {
		return
	}
	n.abuse.falseClaim(p)
	n.counters.add("head_claims_refuted", 1)
	n.log.Warn("recovery: a partner reported more of this node's feed than it serves; its report is dropped",
		"partner", code, "reported", r.Seq, "served_up_to", held)
	n.events.emit("receipt_refused", map[string]any{"partner": code, "feed": n.id.Public().Fingerprint(), "seq": r.Seq,
		"reason": "reported while recovering, not served"})
	n.checkRecovered()
}

// checkRecovered ends recovery when the rule holds.
func (n *Node) checkRecovered() {
	st := n.RecoveryStatus()
	if !st.Recovering || len(st.Reported) == 0 || st.OwnHead < st.Target {
		return
	}
	if len(st.Missing) > 0 && n.now().Before(st.WaitUntil) {
		return
	}
	if err := n.checkOwnHashes(); err != nil {
		n.log.Error("own feed: a partner holds a different entry than this node; appends stay refused", "err", err)
		return
	}
	n.endRecovery(map[string]any{"head": st.OwnHead, "reported": st.Reported, "missing": st.Missing})
}

// checkOwnHashes compares each reported head with the entry this node
// holds at that seq.
func (n *Node) checkOwnHashes() error {
	n.recovery.mu.Lock()
	heads := slices.Collect(maps.Values(n.recovery.heads))
	n.recovery.mu.Unlock()
	for _, r := range heads {
		if r.Seq == 0 {
			continue
		}
		e, err := n.st.Entry(n.id.Public(), r.Seq)
		if err != nil {
			return fmt.Errorf("own entry %d: %w", r.Seq, err)
		}
		if e.Hash() != r.Hash {
			return fmt.Errorf("own entry %d: %w: a partner holds %s, this node %s", r.Seq, store.ErrEquivocation, r.Hash, e.Hash())
		}
	}
	return nil
}

// endRecovery makes the pulled entries durable, lets them leave the node
// and clears the flag (audited).
func (n *Node) endRecovery(details map[string]any) {
	n.appendMu.Lock()
	defer n.appendMu.Unlock()
	if !n.recovering() {
		return
	}
	head, err := n.st.Head(n.id.Public())
	if err == nil {
		err = n.st.Sync()
	}
	if err == nil {
		err = n.st.ClearRecovering()
	}
	if err != nil {
		n.log.Error("end recovery", "err", err)
		return
	}
	n.committer.advance(head.Seq)
	n.recovery.mu.Lock()
	n.recovery.active = false
	n.recovery.mu.Unlock()
	n.log.Info("recovery ended: appends allowed again", "seq", head.Seq, "details", details)
	n.events.emit("recovery_done", details)
}

// ForceRecovered ends recovery on the operator's word, without the
// partners' heads (kpnode recover --force). The audit log records it with
// the state at that moment. It does nothing when the node is not
// recovering.
func (n *Node) ForceRecovered(note string) (RecoveryStatus, error) {
	if reason := protocol.TextProblem(note, maxAckNote, true); reason != "" {
		return RecoveryStatus{}, fmt.Errorf("%w: note %s", ErrInvalidRequest, reason)
	}
	st := n.RecoveryStatus()
	if !st.Recovering {
		return st, nil
	}
	if err := n.audit(AuditRecoveryForce, map[string]any{"note": note, "own_head": st.OwnHead,
		"target": st.Target, "reported": st.Reported, "missing": st.Missing}); err != nil {
		return st, err
	}
	n.log.Warn("recovery ended by the operator without the partners' heads", "own_head", st.OwnHead, "target", st.Target)
	n.endRecovery(map[string]any{"forced": true, "head": st.OwnHead})
	return n.RecoveryStatus(), nil
}

// RecoveryStatus returns what the node has learned of its own feed while
// recovering.
func (n *Node) RecoveryStatus() RecoveryStatus {
	own, _ := n.st.Head(n.id.Public())
	rc := n.recovery
	rc.mu.Lock()
	defer rc.mu.Unlock()
	st := RecoveryStatus{Recovering: rc.active, Reason: rc.reason, OwnHead: own.Seq}
	if !rc.active {
		return st
	}
	st.Reported, st.WaitUntil = map[string]uint64{}, rc.start.Add(rc.wait)
	for code, r := range rc.heads {
		st.Reported[code] = r.Seq
		st.Target = max(st.Target, r.Seq)
	}
	for _, p := range n.roster.Stored() {
		if _, ok := rc.heads[p.Code]; !ok && !p.Paused {
			st.Missing = append(st.Missing, p.Code)
		}
	}
	return st
}
