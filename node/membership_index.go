package node

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// The membership index (docs/storage.md) lists, in store metadata, the
// notices the participant list is built from: every notice of a chain
// (the notices of one feed linked by their corrections) that holds a
// participant_status_change notice. refreshMembership reads those and
// the withdrawals of their feeds, not every notice held: at start-up on
// a store of 200,000 entries the full scan took 14 s and 911 MB.
//
// A notice enters the index when it is a status change, or corrects a
// notice in it; a status change that corrects a notice outside it brings
// its whole chain in. A store written before the index gets it built at
// its first open, from every notice held, and so does a store whose node
// stopped without closing (closeMembershipIndex): the index may then miss
// the notice stored last.

// Store metadata keys of the membership index.
const (
	membershipIndexPrefix   = "participants/index/"      // + feed key hex + "/" + seq: one indexed notice
	membershipIndexBuiltKey = "participants/index-built" // membershipIndexOpen or membershipIndexClosed
)

// noticePos is the position of a notice: notices are never in batches.
type noticePos struct {
	key crypto.PublicKey
	seq uint64
}

func (p noticePos) metaKey() string {
	return fmt.Sprintf("%s%x/%020d", membershipIndexPrefix, p.key[:], p.seq)
}

// parseNoticePos reads a membership index key.
func parseNoticePos(k string) (noticePos, error) {
	feed, seq, ok := strings.Cut(strings.TrimPrefix(k, membershipIndexPrefix), "/")
	var p noticePos
	b, err := hex.DecodeString(feed)
	if !ok || err != nil || len(b) != len(p.key) {
		return p, fmt.Errorf("read membership index key %q: bad feed key", k)
	}
	copy(p.key[:], b)
	if p.seq, err = strconv.ParseUint(seq, 10, 64); err != nil {
		return p, fmt.Errorf("read membership index key %q: bad seq", k)
	}
	return p, nil
}

// indexedNotices returns the positions the membership index holds.
func (n *Node) indexedNotices() ([]noticePos, error) {
	keys, err := n.st.MetaPrefix(membershipIndexPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]noticePos, 0, len(keys))
	for k := range keys {
		p, err := parseNoticePos(k)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// indexNotices adds ps to the membership index.
func (n *Node) indexNotices(ps []noticePos) error {
	for _, p := range ps {
		if err := n.st.PutMeta(p.metaKey(), []byte{1}); err != nil {
			return fmt.Errorf("index membership notice: %w", err)
		}
	}
	return nil
}

// noticeIndexed reports whether p is in the membership index.
func (n *Node) noticeIndexed(p noticePos) (bool, error) {
	_, err := n.st.GetMeta(p.metaKey())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Values of membershipIndexBuiltKey. A notice is indexed right after it
// is stored, not in the same transaction: a node that stops between the
// two leaves the marker open, and the next open builds the index again.
var (
	membershipIndexOpen   = []byte("open")   // complete when a node opened the store; that node keeps it so
	membershipIndexClosed = []byte("closed") // complete: the node that kept it closed cleanly
)

// ensureMembershipIndex builds the membership index from every notice
// held unless the last node to keep it closed cleanly, and marks it open.
func (n *Node) ensureMembershipIndex() error {
	v, err := n.st.GetMeta(membershipIndexBuiltKey)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !bytes.Equal(v, membershipIndexClosed) {
		chains, err := n.noticeChains(nil)
		if err != nil {
			return err
		}
		if err := n.indexNotices(chains.membership()); err != nil {
			if !errors.Is(err, store.ErrFull) {
				return err
			}
			// A node on a full disk still starts (reads work, writes are
			// refused): the list is read from every notice this run, and
			// the index is built at the next start.
			n.log.Warn("membership index not built: the participant list is read from every notice until the next start", "err", err)
			n.members.scanAll, n.members.closed = true, true
		}
	}
	// In the reserve: a full disk must not stop the node starting, nor
	// leave a closed marker over an index a crash could leave stale.
	return n.st.PutMetaInReserve(membershipIndexBuiltKey, membershipIndexOpen)
}

// closeMembershipIndex marks the membership index complete, once nothing
// stores records any more.
func (n *Node) closeMembershipIndex() error {
	n.members.mu.Lock()
	defer n.members.mu.Unlock()
	if n.members.closed {
		return nil
	}
	n.members.closed = true
	if err := n.st.PutMeta(membershipIndexBuiltKey, membershipIndexClosed); err != nil {
		return fmt.Errorf("close the membership index: %w", err)
	}
	return nil
}

// indexMembershipNotice adds the notice v at p to the membership index
// when the list may depend on it, and reports whether it did.
func (n *Node) indexMembershipNotice(p noticePos, v *protocol.Notice) (bool, error) {
	_, change := v.MembershipUpdate()
	joins := false
	if sup := v.Replaces(); sup != nil {
		var err error
		if joins, err = n.noticeIndexed(noticePos{p.key, sup.Seq}); err != nil {
			return false, err
		}
		if change && !joins { // its chain so far was left out: bring it in
			chains, err := n.noticeChains(&p.key)
			if err != nil {
				return false, err
			}
			return true, n.indexNotices(chains.membership())
		}
	}
	if !change && !joins {
		return false, nil
	}
	return true, n.indexNotices([]noticePos{p})
}

// noticeChains reads the notices held (author nil: of every feed) and
// links each to the one it corrects.
func (n *Node) noticeChains(author *crypto.PublicKey) (*noticeLinks, error) {
	l := &noticeLinks{parent: map[noticePos]noticePos{}, change: map[noticePos]bool{}}
	err := n.eachRecord(store.RecordQuery{Type: protocol.NoticeType, Author: author}, func(r *store.StoredRecord) {
		for _, h := range n.expand(r, protocol.NoticeType) {
			l.add(noticePos{h.key, h.Seq}, h.Value.(*protocol.Notice))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read notices for the membership index: %w", err)
	}
	return l, nil
}

// noticeLinks groups notices into chains with a union-find.
type noticeLinks struct {
	parent map[noticePos]noticePos
	change map[noticePos]bool // the notices that are status changes
}

func (l *noticeLinks) add(p noticePos, v *protocol.Notice) {
	_, change := v.MembershipUpdate()
	sup := v.Replaces()
	if !change && sup == nil {
		return // no status change and no link: in a chain only if a correction names it, which adds it
	}
	if _, ok := l.parent[p]; !ok {
		l.parent[p] = p
	}
	if change {
		l.change[p] = true
	}
	if sup != nil {
		q := noticePos{p.key, sup.Seq}
		if _, ok := l.parent[q]; !ok {
			l.parent[q] = q
		}
		l.parent[l.root(p)] = l.root(q)
	}
}

func (l *noticeLinks) root(p noticePos) noticePos {
	for l.parent[p] != p {
		l.parent[p] = l.parent[l.parent[p]]
		p = l.parent[p]
	}
	return p
}

// membership returns the notices of every chain holding a status change.
func (l *noticeLinks) membership() []noticePos {
	roots := map[noticePos]bool{}
	for p := range l.change {
		roots[l.root(p)] = true
	}
	var out []noticePos
	for p := range l.parent {
		if roots[l.root(p)] {
			out = append(out, p)
		}
	}
	return out
}
