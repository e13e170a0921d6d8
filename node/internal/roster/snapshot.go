package roster

import (
	"maps"
	"slices"

	"github.com/kpnode/kpnode/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Closed is a retired key's feed: kept and served up to ValidThrough,
// closed after it.
type Closed struct {
	ValidThrough uint64
	Reason       string // RetiredRotated or RetiredCompromised
}

// Snapshot is the roster at one moment. It is never modified once
// published: read it without a lock, and do not modify what its methods
// return.
type Snapshot struct {
	feeds map[crypto.PublicKey]string // feed author -> participant code (self and partners, retired keys included)
	// closed are the retired keys' feeds, closed after a seq.
	closed map[crypto.PublicKey]Closed
	// retiring are partners' rotated keys whose peers stay admitted until
	// the new key connects, by code.
	retiring map[string]crypto.PublicKey
	peers    map[peer.ID]string // partner peer -> participant code
	keys     map[string]*Keys   // the age keys shared with each partner, by code
}

func newSnapshot(self crypto.PublicKey, code string) *Snapshot {
	return &Snapshot{feeds: map[crypto.PublicKey]string{self: code}, closed: map[crypto.PublicKey]Closed{},
		retiring: map[string]crypto.PublicKey{}, peers: map[peer.ID]string{}, keys: map[string]*Keys{}}
}

// clone returns a copy whose maps the caller may change before publishing.
func (s *Snapshot) clone() *Snapshot {
	return &Snapshot{feeds: maps.Clone(s.feeds), closed: maps.Clone(s.closed), retiring: maps.Clone(s.retiring),
		peers: maps.Clone(s.peers), keys: maps.Clone(s.keys)}
}

// FeedCode maps a feed author to its participant code, for this node and
// pinned partners only (retired keys included).
func (s *Snapshot) FeedCode(k crypto.PublicKey) (string, bool) {
	code, ok := s.feeds[k]
	return code, ok
}

// KnownFeeds lists the feeds this node keeps: its own and its partners'.
func (s *Snapshot) KnownFeeds() []crypto.PublicKey { return slices.Collect(maps.Keys(s.feeds)) }

// PartnerByPeer maps a peer to its partner code.
func (s *Snapshot) PartnerByPeer(p peer.ID) (string, bool) {
	code, ok := s.peers[p]
	return code, ok
}

// Peers lists the peer IDs of the pinned partners (and of rotated keys
// still admitted).
func (s *Snapshot) Peers() []peer.ID { return slices.Collect(maps.Keys(s.peers)) }

// PeersByCode maps each partner code to its admitted peer. A partner whose
// rotated key is still admitted maps to one of its two peers.
func (s *Snapshot) PeersByCode() map[string]peer.ID {
	out := make(map[string]peer.ID, len(s.peers))
	for p, code := range s.peers {
		out[code] = p
	}
	return out
}

// ClosedAt reports whether feed k is a retired key's and, if so, its last
// accepted seq.
func (s *Snapshot) ClosedAt(k crypto.PublicKey) (Closed, bool) {
	f, ok := s.closed[k]
	return f, ok
}

// CapClosed lowers a partner's announced heads of retired feeds to their
// last valid seq, so a sync never asks for what would be refused. It
// changes heads in place and returns it.
func (s *Snapshot) CapClosed(heads map[crypto.PublicKey]uint64) map[crypto.PublicKey]uint64 {
	for k, seq := range heads {
		if f, ok := s.closed[k]; ok && seq > f.ValidThrough {
			heads[k] = f.ValidThrough
		}
	}
	return heads
}

// Keys returns the age keys shared with partner code, nil when none are
// usable (not pinned, or its card's age key is unusable).
func (s *Snapshot) Keys(code string) *Keys { return s.keys[code] }

// KeysByCode returns the age keys of every pinned partner, by code. The
// map is the snapshot's: read only.
func (s *Snapshot) KeysByCode() map[string]*Keys { return s.keys }
