package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/ownfeed"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// ErrKeyRetired is returned by every append to this node's own feed once
// its key has signed a hand-over ([Node.Rotate]): the node must be
// restarted with its new key.
var ErrKeyRetired = ownfeed.ErrKeyRetired

// AuditKeysRotate is the audit action of this node's key rotation.
const AuditKeysRotate = "keys.rotate"

// RotateResult is what [Node.Rotate] did.
type RotateResult struct {
	OldFingerprint string `json:"old_fingerprint"`
	NewFingerprint string `json:"new_fingerprint"`
	// Seq is the hand-over entry's seq in the old feed: the old key's last.
	Seq uint64 `json:"seq"`
	// Confirmed lists the partners that receipted the hand-over within the
	// wait; Pending those that had not (they follow when they get it, from
	// this node or relayed by any partner).
	Confirmed []string `json:"confirmed"`
	Pending   []string `json:"pending"`
	// Card is the new key's signed card.
	Card json.RawMessage `json:"card"`
}

// Rotate hands this node's feed over to the key next: it appends to the
// feed a final key_handover entry, signed by the current key and sealed
// to every partner, carrying next's card; then it waits up to wait for
// the partners' receipts of it. From then on the current key signs
// nothing more ([ErrKeyRetired]) and the node must be restarted with next
// (the daemon does so). next must be a fresh identity.
func (n *Node) Rotate(ctx context.Context, next *crypto.Identity, reason string, wait time.Duration) (RotateResult, error) {
	if err := n.own.CheckAppend(); err != nil {
		return RotateResult{}, err
	}
	if !n.started() {
		return RotateResult{}, errors.New("rotate keys: the node is not running")
	}
	sc, err := n.successorCard(next, n.ex.Host().Addrs())
	if err != nil {
		return RotateResult{}, err
	}
	p, err := n.publishHandover(ctx, sc, reason)
	if err != nil {
		return RotateResult{}, err
	}
	res := RotateResult{OldFingerprint: n.id.Fingerprint(), NewFingerprint: next.Fingerprint(), Seq: p.Seq, Card: sc.Bytes()}
	res.Confirmed, res.Pending = n.awaitReceipts(ctx, p.Seq, wait)
	n.log.Warn("keys rotated: restart the node with the new key", "old", res.OldFingerprint, "new", res.NewFingerprint,
		"seq", p.Seq, "pending", res.Pending)
	n.events.emit("keys_rotated", map[string]any{"seq": p.Seq, "new_fingerprint": res.NewFingerprint})
	return res, nil
}

// successorCard signs next's card: this node's code and name, the
// host's addresses.
func (n *Node) successorCard(next *crypto.Identity, addrs []ma.Multiaddr) (*protocol.SignedCard, error) {
	if next.Public() == n.id.Public() {
		return nil, fmt.Errorf("rotate keys: %w: the new key is the current one", ErrInvalidRequest)
	}
	if code, ok := n.roster.Snapshot().FeedCode(next.Public()); ok {
		return nil, fmt.Errorf("rotate keys: %w: the new key is already known as %s's", ErrInvalidRequest, code)
	}
	as := make([]string, 0, len(addrs))
	for _, a := range addrs {
		as = append(as, a.String())
	}
	slices.Sort(as)
	c := protocol.Card{Version: 1, Code: n.cfg.Participant, Name: n.cfg.Name, PeerID: next.PeerID(),
		AgeRecipient: next.Recipient().String(), Addrs: as, Created: n.now().UTC().Truncate(time.Second)}
	sc, err := protocol.SignCard(c, next)
	if err != nil {
		return nil, fmt.Errorf("rotate keys: sign the new card: %w", err)
	}
	return sc, nil
}

// publishHandover appends the hand-over to every partner and records the
// retired key (audited).
func (n *Node) publishHandover(ctx context.Context, sc *protocol.SignedCard, reason string) (Published, error) {
	body, err := json.Marshal(protocol.NewHandover(sc, reason))
	if err != nil {
		return Published{}, err
	}
	if _, err := protocol.ParseHandover(body); err != nil {
		return Published{}, fmt.Errorf("rotate keys: %w", err)
	}
	audience, rcpts, err := n.resolveAudience([]string{AudienceAll})
	if err != nil {
		return Published{}, fmt.Errorf("rotate keys: %w", err)
	}
	p, err := n.publishSealed(ctx, protocol.HandoverType, body, audience, append(rcpts, n.id.Recipient()), parsedRecord{typ: protocol.HandoverType})
	if err != nil {
		return Published{}, fmt.Errorf("rotate keys: %w", err)
	}
	retired, err := n.st.OwnRetiredKeys()
	if err == nil {
		retired = append(retired, store.OwnRetiredKey{Key: n.id.Public(), ValidThrough: p.Seq})
		err = n.st.PutOwnRetiredKeys(retired, store.AuditEvent{Action: AuditKeysRotate, Actor: actorOf(ctx), Details: map[string]any{
			"old_fingerprint": n.id.Fingerprint(), "new_fingerprint": sc.Fingerprint(), "seq": p.Seq, "reason": reason}})
	}
	if err != nil {
		return p, fmt.Errorf("rotate keys: the hand-over is entry %d, but recording it failed: %w", p.Seq, err)
	}
	return p, nil
}

// awaitReceipts polls the partners' receipts of this node's feed until
// all cover seq or wait passes.
func (n *Node) awaitReceipts(ctx context.Context, seq uint64, wait time.Duration) (confirmed, pending []string) {
	deadline := time.Now().Add(wait)
	for {
		confirmed, pending = n.receiptedThrough(seq)
		if len(pending) == 0 || !time.Now().Before(deadline) {
			return confirmed, pending
		}
		n.ex.TriggerAll()
		select {
		case <-ctx.Done():
			return n.receiptedThrough(seq)
		case <-n.runCtx.Done():
			return n.receiptedThrough(seq)
		case <-time.After(min(200*time.Millisecond, time.Until(deadline))):
		}
	}
}

func (n *Node) receiptedThrough(seq uint64) (confirmed, pending []string) {
	for _, p := range n.roster.Stored() {
		pid, err := peer.Decode(p.Key.PeerID())
		if l := n.ex.Link(pid); err == nil && l.Receipt != nil && l.Receipt.Seq >= seq {
			confirmed = append(confirmed, p.Code)
		} else {
			pending = append(pending, p.Code)
		}
	}
	return confirmed, pending
}

// loadOwnRetired keeps this node's retired keys' feeds as its own, closed
// at their hand-overs, and notes whether the current key has itself
// handed over (a restart with the old key before the new one was put in
// place): then it signs nothing more.
func (n *Node) loadOwnRetired() error {
	rs, err := n.st.OwnRetiredKeys()
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Key == n.id.Public() {
			n.own.HandedOver()
			continue
		}
		n.roster.TrackClosed(r.Key, n.cfg.Participant, roster.Closed{ValidThrough: r.ValidThrough, Reason: RetiredRotated})
	}
	return nil
}

// SetRetiredIdentities gives the node its earlier identities, so that it
// can still open what partners sealed to its old age recipients before
// they followed its hand-over. Call it before [Node.Start].
func (n *Node) SetRetiredIdentities(ids []*crypto.Identity) { n.retiredIDs = slices.Clone(ids) }

// SetKeyVault gives the node where its key files live, which
// [Node.RotateKeys] needs. Call it before [Node.Start].
func (n *Node) SetKeyVault(v KeyVault) { n.rotation.vault = v }

// Restart is closed once the node has handed its key over and must be
// restarted with the new one (the daemon does so).
func (n *Node) Restart() <-chan struct{} { return n.rotation.restart }

// RotateKeys is kpnode keys rotate: it makes a new identity, stages its key
// file, signs the hand-over to it with the current key ([Node.Rotate]),
// swaps the key files and asks for a restart ([Node.Restart]).
func (n *Node) RotateKeys(ctx context.Context, reason string, wait time.Duration) (RotateResult, error) {
	r := n.rotation
	if !r.mu.TryLock() {
		return RotateResult{}, fmt.Errorf("rotate keys: %w: a rotation is already running", ErrInvalidRequest)
	}
	defer r.mu.Unlock()
	if r.vault == nil {
		return RotateResult{}, errors.New("rotate keys: this node was started without its key files")
	}
	if err := n.own.CheckAppend(); err != nil {
		return RotateResult{}, err
	}
	next, err := crypto.NewIdentity()
	if err != nil {
		return RotateResult{}, err
	}
	if err := r.vault.Stage(next); err != nil {
		return RotateResult{}, err
	}
	res, err := n.Rotate(ctx, next, reason, wait)
	if err != nil {
		return res, err
	}
	if err := r.vault.Commit(n.id, next); err != nil {
		return res, fmt.Errorf("rotate keys: the hand-over is entry %d, but the key files were not swapped (a restart finishes it): %w", res.Seq, err)
	}
	r.once.Do(func() { close(r.restart) })
	return res, nil
}

// KeyVault keeps a node's key files through a rotation ([Node.RotateKeys]).
type KeyVault interface {
	// Stage writes next where a restart finds it, before the hand-over
	// to it is signed.
	Stage(next *crypto.Identity) error
	// Commit makes next the node's key and keeps old as a retired key.
	Commit(old, next *crypto.Identity) error
}

// keyRotation is the state of [Node.RotateKeys]: the vault and the
// restart signal.
type keyRotation struct {
	mu      sync.Mutex // held for a whole rotation
	vault   KeyVault
	restart chan struct{}
	once    sync.Once
}
