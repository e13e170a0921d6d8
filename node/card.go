package node

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/host"
)

// Store metadata keys of this node's card: when it was first created,
// and the card as last signed (at start).
const (
	metaCardCreated = "card/created"
	metaCardSigned  = "card/signed"
)

// signCard signs this node's card with the host's current addresses. The
// creation time is kept in the store so the card is stable across restarts.
func (n *Node) signCard(h host.Host) (*protocol.SignedCard, error) {
	created, err := n.cardCreated()
	if err != nil {
		return nil, err
	}
	addrs := reach.DirectAddrs(h) // reach: no relay addresses (they name the relay's peer; partners find relays themselves)
	c := protocol.Card{Version: 1, Code: n.cfg.Participant, Name: n.cfg.Name, PeerID: n.id.PeerID(),
		AgeRecipient: n.id.Recipient().String(), Addrs: addrs, Created: created}
	sc, err := protocol.SignCard(c, n.id)
	if err != nil {
		return nil, fmt.Errorf("sign card: %w", err)
	}
	// Kept for evidence bundles of this node's own records, which
	// "kpnode evidence export" also makes while the daemon is stopped. On
	// a full disk the card signed at an earlier start stays (same key,
	// older addresses): the node starts anyway, to serve reads.
	err = n.st.PutMeta(metaCardSigned, sc.Bytes())
	if errors.Is(err, store.ErrFull) {
		n.log.Error("card not stored: the disk is full; writes fail until space is freed", "err", err)
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("store signed card: %w", err)
	}
	return sc, nil
}

func (n *Node) cardCreated() (time.Time, error) {
	b, err := n.st.GetMeta(metaCardCreated)
	if err == nil {
		return time.Parse(time.RFC3339, string(b))
	}
	if !errors.Is(err, store.ErrNotFound) {
		return time.Time{}, fmt.Errorf("read card creation time: %w", err)
	}
	t := n.now().UTC().Truncate(time.Second)
	if err := n.st.PutMeta(metaCardCreated, []byte(t.Format(time.RFC3339))); err != nil {
		return time.Time{}, fmt.Errorf("store card creation time: %w", err)
	}
	return t, nil
}

// sortHeads puts this node's own feed first, then partners by code.
func sortHeads(heads []FeedHead, self string) {
	slices.SortFunc(heads, func(a, b FeedHead) int {
		switch {
		case a.Author == self:
			return -1
		case b.Author == self:
			return 1
		case a.Author < b.Author:
			return -1
		case a.Author > b.Author:
			return 1
		}
		return 0
	})
}
