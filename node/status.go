package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Status is a snapshot of the node for operators.
type Status struct {
	Participant string          `json:"participant"`
	Name        string          `json:"name"`
	Fingerprint string          `json:"fingerprint"`
	PeerID      string          `json:"peer_id"`
	Version     string          `json:"version"`
	Started     time.Time       `json:"started"`
	Listen      []string        `json:"listen"`
	Partners    []PartnerStatus `json:"partners"`
	Feeds       []FeedHead      `json:"feeds"`
	// Counters count entries published, received and rejected (by reason)
	// and failed sync sessions since the node started.
	Counters map[string]uint64 `json:"counters"`
	// Equivocations are the forks seen in partners' feeds: evidence kept.
	Equivocations []EquivocationReport `json:"equivocations"`
	// Refused are entries signed by a partner's retired key after its last
	// valid seq: evidence kept (docs/security.md, "Keys").
	Refused []RefusedReport `json:"refused"`
	// Reconciliation says whether the stored records are still being
	// loaded into the reconciliation state after start, and how many are.
	Reconciliation ReconcileStatus `json:"reconciliation"`
	// Recovery says whether appends are refused until the partners have
	// told this node its own latest head (docs/security.md, "Keys").
	Recovery RecoveryStatus `json:"recovery"`
	// Attachments counts the files of records this node reads that it
	// does not hold whole yet, and the blob transfers since start.
	Attachments AttachmentsStatus `json:"attachments"`
}

// ReconcileStatus is the state of the reconciliation load in [Status].
type ReconcileStatus struct {
	Loading bool `json:"loading"`
	Records int  `json:"records"` // stored records loaded
}

// PartnerStatus is a partner's line in [Status]: the link and the delivery
// of this node's feed to it.
type PartnerStatus struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
	Connected   bool   `json:"connected"`
	// Relayed is set while the only connection to the partner runs
	// through a relaying partner (both behind NAT, or a firewall).
	Relayed bool `json:"relayed,omitempty"`
	// UnreachableSince is when the partner was last found neither
	// connected nor relayed, while it stays so (reach).
	UnreachableSince time.Time `json:"unreachable_since,omitzero"`
	// Paused is set while the operator has paused the link.
	Paused      bool      `json:"paused"`
	LastContact time.Time `json:"last_contact,omitzero"`
	// TheirHead is the head of the partner's own feed as it last told us;
	// OurCopy is how much of that feed this node holds.
	TheirHead uint64 `json:"their_head"`
	OurCopy   uint64 `json:"our_copy"`
	// OurHead is this node's own head; Receipt the partner's latest signed
	// receipt of it, and ReceiptTime when the partner signed it.
	OurHead     uint64    `json:"our_head"`
	Receipt     uint64    `json:"receipt"`
	ReceiptTime time.Time `json:"receipt_time,omitzero"`
	// Undelivered counts our entries the partner has not receipted;
	// OldestUndelivered is the time of the first of them.
	Undelivered       uint64    `json:"undelivered"`
	OldestUndelivered time.Time `json:"oldest_undelivered,omitzero"`
	// Stalled is set when the undelivered count has not shrunk for the
	// configured stall_after.
	Stalled       bool      `json:"stalled"`
	LastSync      time.Time `json:"last_sync,omitzero"`
	LastSyncError string    `json:"last_sync_error,omitempty"`
	// PeerScore is what peer scoring holds against the partner.
	PeerScore PeerScore `json:"peer_score"`
	// CoolOffUntil is set while the partner is graylisted: disconnected
	// and refused until then (docs/security.md). Graylisted counts the
	// times it fell under the graylist threshold since the node started.
	CoolOffUntil time.Time `json:"cool_off_until,omitzero"`
	Graylisted   uint64    `json:"graylisted"`
}

// Behind counts the entries of the partner's own feed this node does not
// hold yet, as far as the partner last told it.
func (p PartnerStatus) Behind() uint64 { return max(p.TheirHead, p.OurCopy) - p.OurCopy }

// EquivocationReport is a fork seen in a feed.
type EquivocationReport struct {
	Feed        string        `json:"feed"`
	Seq         uint64        `json:"seq"`
	Kept        protocol.Hash `json:"kept"`
	Conflicting protocol.Hash `json:"conflicting"`
	Seen        time.Time     `json:"seen"`
}

// RefusedReport is an entry of a retired key refused and kept as evidence.
type RefusedReport struct {
	Feed        string        `json:"feed"`
	Fingerprint string        `json:"fingerprint"` // the retired key's
	Seq         uint64        `json:"seq"`
	Hash        protocol.Hash `json:"hash"`
	Reason      string        `json:"reason"` // after_handover or after_compromise
	Seen        time.Time     `json:"seen"`
}

// FeedHead is the latest entry this node holds of one feed.
type FeedHead struct {
	Author string        `json:"author"`
	Seq    uint64        `json:"seq"`
	Hash   protocol.Hash `json:"hash"`
	Time   time.Time     `json:"time,omitzero"`
}

// Status reports identity, listen addresses, partners and feed heads.
func (n *Node) Status() (Status, error) {
	var started time.Time
	var listen []string
	if si := n.startup.Load(); si != nil {
		started, listen = si.at, n.ex.Addrs()
	}
	s := Status{Participant: n.cfg.Participant, Name: n.cfg.Name, Fingerprint: n.id.Fingerprint(),
		PeerID: n.id.PeerID(), Version: Version, Started: started, Listen: listen}
	partners, err := n.Partners()
	if err != nil {
		return s, err
	}
	own, err := n.st.Head(n.id.Public())
	if err != nil {
		return s, err
	}
	s.Partners = make([]PartnerStatus, 0, len(partners))
	for _, p := range partners {
		s.Partners = append(s.Partners, n.partnerStatus(p, own))
	}
	s.Counters = n.counters.snapshot()
	if s.Equivocations, err = n.equivocations(); err != nil {
		return s, err
	}
	if s.Refused, err = n.refused(); err != nil {
		return s, err
	}
	s.Feeds, err = n.feedHeads(partners)
	n.findings.mu.Lock()
	s.Reconciliation = ReconcileStatus{Loading: n.findings.loading, Records: n.findings.loaded}
	n.findings.mu.Unlock()
	s.Recovery = n.RecoveryStatus()
	s.Attachments = n.attachmentsStatus() // attachments: still to fetch
	return s, err
}

func (n *Node) partnerStatus(p Partner, own store.Head) PartnerStatus {
	ps := PartnerStatus{Code: p.Code, Name: p.Name, Fingerprint: p.Fingerprint, Paused: p.Paused, OurHead: own.Seq}
	id, err := peer.Decode(p.PeerID)
	if err != nil {
		return ps
	}
	ps.Connected, ps.Relayed = n.ex.Connected(id), n.ex.Relayed(id) // reach: relayed counts
	ps.UnreachableSince, _ = n.unreach.Since(id)                    // reach: unreachable partners
	l := n.ex.Link(id)
	ps.LastContact, ps.TheirHead, ps.LastSync, ps.LastSyncError = l.LastContact, l.TheirHead, l.LastSync, l.LastSyncErr
	if k, err := crypto.PublicKeyFromPeerID(p.PeerID); err == nil {
		if theirs, err := n.st.Head(k); err == nil {
			ps.OurCopy = theirs.Seq
		}
	}
	if l.Receipt != nil {
		ps.Receipt, ps.ReceiptTime = l.Receipt.Seq, l.Receipt.Time
	}
	n.fillUndelivered(&ps, id)
	n.fillScore(&ps, id)
	return ps
}

func (n *Node) fillScore(ps *PartnerStatus, id peer.ID) {
	var until time.Time
	ps.PeerScore, until, ps.Graylisted = n.ex.Score(id)
	if n.now().Before(until) {
		ps.CoolOffUntil = until.UTC()
	}
}

func (n *Node) fillUndelivered(ps *PartnerStatus, id peer.ID) {
	if ps.OurHead > ps.Receipt {
		ps.Undelivered = ps.OurHead - ps.Receipt
		if e, err := n.st.Entry(n.id.Public(), ps.Receipt+1); err == nil {
			ps.OldestUndelivered = e.Time.UTC()
		}
	}
	since := n.ex.LagSince(id, ps.Undelivered, n.now())
	ps.Stalled = ps.Undelivered > 0 && n.now().Sub(since) > n.cfg.StallAfter.D()
}

func (n *Node) equivocations() ([]EquivocationReport, error) {
	eqs, err := n.st.Equivocations()
	if err != nil {
		return nil, fmt.Errorf("read equivocations: %w", err)
	}
	out := make([]EquivocationReport, 0, len(eqs))
	for _, eq := range eqs {
		code, ok := n.roster.Snapshot().FeedCode(eq.Author)
		if !ok {
			code = eq.Author.Fingerprint()
		}
		out = append(out, EquivocationReport{Feed: code, Seq: eq.Seq, Kept: eq.Kept,
			Conflicting: sha256.Sum256(eq.Conflicting), Seen: eq.Seen})
	}
	return out, nil
}

func (n *Node) refused() ([]RefusedReport, error) {
	rs, err := n.st.Refused()
	if err != nil {
		return nil, err
	}
	out := make([]RefusedReport, 0, len(rs))
	for _, r := range rs {
		code, _ := n.roster.Snapshot().FeedCode(r.Author)
		out = append(out, RefusedReport{Feed: code, Fingerprint: r.Author.Fingerprint(), Seq: r.Seq,
			Hash: sha256.Sum256(r.Bytes), Reason: r.Reason, Seen: r.Seen})
	}
	return out, nil
}

func (n *Node) feedHeads(partners []Partner) ([]FeedHead, error) {
	codes := map[crypto.PublicKey]string{n.id.Public(): n.cfg.Participant}
	for _, p := range partners {
		if k, err := crypto.PublicKeyFromPeerID(p.PeerID); err == nil {
			codes[k] = p.Code
		}
	}
	heads := make([]FeedHead, 0, len(codes))
	for k, code := range codes {
		h, err := n.st.Head(k)
		if err != nil {
			return nil, fmt.Errorf("read head of %s: %w", code, err)
		}
		heads = append(heads, FeedHead{Author: code, Seq: h.Seq, Hash: h.Hash, Time: h.Time})
	}
	sortHeads(heads, n.cfg.Participant)
	return heads, nil
}

// Verify re-checks the store: every entry against its author's signature
// (every one, protocol.DecodeBatch), every chain, records and indexes.
func (n *Node) Verify(ctx context.Context) (store.VerifyReport, error) {
	return n.st.Verify(ctx)
}

// Card returns this node's signed card, made at Start with the host's
// addresses.
func (n *Node) Card() (*protocol.SignedCard, error) {
	si := n.startup.Load()
	if si == nil {
		return nil, fmt.Errorf("card: node not started")
	}
	return si.card, nil
}

// StoreSize returns the bytes the store occupies on disk, its blob files
// included (0 in memory).
func (n *Node) StoreSize() (int64, error) {
	st, err := n.st.Stats()
	if err != nil {
		return 0, err
	}
	return st.LSMBytes + st.VlogBytes + st.BlobBytes, nil
}
