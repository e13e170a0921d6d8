package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// FeedEntry is one entry of a feed as operators see it: the signed envelope
// and, when this node may read it, the record.
type FeedEntry struct {
	Author   string          `json:"author"`
	Seq      uint64          `json:"seq"`
	Hash     protocol.Hash   `json:"hash"`
	Prev     protocol.Hash   `json:"prev"`
	Time     time.Time       `json:"time"`
	Type     string          `json:"type"`
	Audience []string        `json:"audience"`
	Size     int             `json:"size"`
	Record   json.RawMessage `json:"record,omitempty"`
}

// Feed lists entries of the feed of author (a participant code; "" for this
// node) from seq from on, at most limit (0: all).
func (n *Node) Feed(author string, from uint64, limit int) ([]FeedEntry, error) {
	if author == "" {
		author = n.cfg.Participant
	}
	key, err := n.authorKey(author)
	if err != nil {
		return nil, err
	}
	entries, err := n.st.Entries(key, max(from, 1), limit)
	if err != nil {
		return nil, fmt.Errorf("read feed %s: %w", author, err)
	}
	out := make([]FeedEntry, 0, len(entries))
	for _, e := range entries {
		fe, err := n.feedEntry(author, e)
		if err != nil {
			return nil, err
		}
		out = append(out, fe)
	}
	return out, nil
}

func (n *Node) feedEntry(author string, e *protocol.Entry) (FeedEntry, error) {
	fe := FeedEntry{Author: author, Seq: e.Seq, Hash: e.Hash(), Prev: e.Prev, Time: e.Time.UTC(),
		Type: e.Type, Audience: e.Audience, Size: len(e.Bytes())}
	rec, err := n.st.Record(e.Author, e.Seq)
	switch {
	case err == nil:
		fe.Record = json.RawMessage(rec.Body)
	case !errors.Is(err, store.ErrNotFound):
		return fe, fmt.Errorf("read record %s/%d: %w", author, e.Seq, err)
	}
	return fe, nil
}

// authorKey maps a participant code to the key of its feed: this node's own
// or a partner's (removed partners included, since their feeds stay). A
// key's fingerprint names any feed this node keeps, the feeds of retired
// keys included.
func (n *Node) authorKey(code string) (crypto.PublicKey, error) {
	if code == n.cfg.Participant {
		return n.id.Public(), nil
	}
	if k, ok := n.feedByFingerprint(code); ok {
		return k, nil
	}
	p, err := n.st.Partner(code)
	if errors.Is(err, store.ErrNotFound) {
		if !protocol.AdmissibleCode(code, false) {
			return crypto.PublicKey{}, fmt.Errorf("feed %q: %w", code, ErrUnknownParticipant)
		}
		return crypto.PublicKey{}, fmt.Errorf("feed %q: %w", code, ErrUnknownPartner)
	}
	if err != nil {
		return crypto.PublicKey{}, fmt.Errorf("feed %q: %w", code, err)
	}
	return p.Key, nil
}

// feedByFingerprint finds a kept feed by its key's fingerprint.
func (n *Node) feedByFingerprint(fpr string) (crypto.PublicKey, bool) {
	if len(fpr) < 8 || !strings.Contains(fpr, "-") {
		return crypto.PublicKey{}, false
	}
	for _, k := range n.roster.Snapshot().KnownFeeds() {
		if strings.EqualFold(k.Fingerprint(), fpr) {
			return k, true
		}
	}
	return crypto.PublicKey{}, false
}
