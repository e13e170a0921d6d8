package node

import (
	"cmp"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// The inbox (GET /api/inbox, the dashboard's "Waiting for this node") is
// computed from current records only, as every figure of the node: a
// record corrected or withdrawn since is replaced by its correction or
// gone, a withdrawn reply answers nothing (current.go). Every record held
// is read, a page of the store at a time; the answer is paged.

// Inbox page sizes: the default and the most one list may hold.
const (
	DefaultInboxLimit = 1000
	MaxInboxLimit     = 10000
)

// InboxQuery pages the lists of [Node.Inbox]: each holds at most Limit
// items (0 means [DefaultInboxLimit], at most [MaxInboxLimit]) after the
// first Offset.
type InboxQuery struct {
	Limit  int
	Offset int
}

// Inbox is what awaits this node and what it awaits from its partners.
// Each list is newest first.
type Inbox struct {
	// Notices are partners' notices this node has not acknowledged.
	Notices []RecordView `json:"notices"`
	// Questions are partners' anomaly queries this node has not answered.
	Questions []RecordView `json:"questions"`
	// ToConfirm are partners' certificates destined to this node that it
	// has not confirmed with an import confirmation.
	ToConfirm []CertificateRef `json:"to_confirm"`
	// Unconfirmed are this node's certificates that their destination has
	// not confirmed with an import confirmation (whether or not its feed
	// entry was delivered).
	Unconfirmed []CertificateRef `json:"unconfirmed"`
	// Counts are the lengths of the whole lists, of which this answer
	// holds a page.
	Counts InboxCounts `json:"counts"`
	// Truncated is true when a list has items after this page.
	Truncated bool `json:"truncated"`
}

// InboxCounts are the lengths of the lists of an [Inbox].
type InboxCounts struct {
	Notices     int `json:"notices"`
	Questions   int `json:"questions"`
	ToConfirm   int `json:"to_confirm"`
	Unconfirmed int `json:"unconfirmed"`
}

// CertificateRef names a certificate and the entry (and batch item, -1
// for a lone record) that holds it.
type CertificateRef struct {
	Feed        string    `json:"feed"`
	Seq         uint64    `json:"seq"`
	Item        int       `json:"item"`
	Time        time.Time `json:"time"`
	Number      string    `json:"number"`
	Issuer      string    `json:"issuer"`
	Destination string    `json:"destination"`
	Issued      string    `json:"issued"`
}

// Inbox returns what awaits this node: partners' notices not
// acknowledged, questions not answered, certificates to confirm; and its
// own certificates their destination has not confirmed. Only current
// records count, replies included.
func (n *Node) Inbox(q InboxQuery) (Inbox, error) {
	notices, err := n.unreplied(protocol.NoticeType, protocol.AcknowledgementType,
		func(v protocol.Record) protocol.EntryRef { return v.(*protocol.Acknowledgement).Of })
	if err != nil {
		return Inbox{}, err
	}
	questions, err := n.unreplied(protocol.AnomalyQueryType, protocol.AnomalyAnswerType,
		func(v protocol.Record) protocol.EntryRef { return v.(*protocol.AnomalyAnswer).Query })
	if err != nil {
		return Inbox{}, err
	}
	toConfirm, unconfirmed, err := n.unconfirmed()
	if err != nil {
		return Inbox{}, err
	}
	ib := Inbox{Counts: InboxCounts{len(notices), len(questions), len(toConfirm), len(unconfirmed)}}
	lim := inboxLimit(q.Limit)
	off := max(q.Offset, 0)
	ib.Notices, ib.Truncated = page(notices, off, lim, ib.Truncated)
	ib.Questions, ib.Truncated = page(questions, off, lim, ib.Truncated)
	ib.ToConfirm, ib.Truncated = page(toConfirm, off, lim, ib.Truncated)
	ib.Unconfirmed, ib.Truncated = page(unconfirmed, off, lim, ib.Truncated)
	return ib, nil
}

func inboxLimit(l int) int {
	if l <= 0 {
		return DefaultInboxLimit
	}
	return min(l, MaxInboxLimit)
}

// page returns list[off:off+lim] (never nil), and whether more follow or
// cut was already.
func page[T any](list []T, off, lim int, cut bool) ([]T, bool) {
	off = min(off, len(list))
	end := min(off+lim, len(list))
	return append(make([]T, 0, end-off), list[off:end]...), cut || end < len(list)
}

// unreplied returns the partners' current records of typ that no current
// record of replyType of this node names (repliesTo: an
// acknowledgement's "of", an answer's "query"), newest first.
func (n *Node) unreplied(typ, replyType string, repliesTo func(protocol.Record) protocol.EntryRef) ([]RecordView, error) {
	self := n.id.Public()
	replies, err := n.currentRecords(replyType, &self)
	if err != nil {
		return nil, err
	}
	replied := map[protocol.EntryRef]bool{}
	for _, r := range replies {
		replied[repliesTo(r.Value)] = true
	}
	recs, err := n.currentRecords(typ, nil)
	if err != nil {
		return nil, err
	}
	newestFirst(recs)
	out := []RecordView{}
	for _, h := range recs {
		if h.Feed != n.cfg.Participant && !replied[protocol.EntryRef{Feed: h.Feed, Seq: h.Seq}] {
			out = append(out, RecordView{Feed: h.Feed, Seq: h.Seq, Time: h.Time, Type: h.Type, Record: h.Body})
		}
	}
	return out, nil
}

// unconfirmed returns the current certificates destined to this node
// without its current import confirmation, and this node's own without
// their destination's, newest first. A confirmation matches a
// certificate by issuer and number and must come from the certificate's
// destination.
func (n *Node) unconfirmed() (toConfirm, ours []CertificateRef, err error) {
	type confKey struct{ by, issuer, number string }
	confs, err := n.currentRecords(protocol.ImportConfirmationType, nil)
	if err != nil {
		return nil, nil, err
	}
	confirmed := map[confKey]bool{}
	for _, h := range confs {
		c := h.Value.(*protocol.ImportConfirmation)
		confirmed[confKey{h.Feed, c.Issuer, c.CertificateNumber}] = true
	}
	certs, err := n.currentRecords(protocol.CertificateType, nil)
	if err != nil {
		return nil, nil, err
	}
	newestFirst(certs)
	toConfirm, ours = []CertificateRef{}, []CertificateRef{}
	for _, h := range certs {
		c := h.Value.(*protocol.Certificate)
		if confirmed[confKey{c.Destination, c.Issuer, c.Number}] {
			continue
		}
		switch {
		case h.Feed == n.cfg.Participant:
			ours = append(ours, certificateRef(h, c))
		case c.Destination == n.cfg.Participant:
			toConfirm = append(toConfirm, certificateRef(h, c))
		}
	}
	return toConfirm, ours, nil
}

func certificateRef(h HeldRecord, c *protocol.Certificate) CertificateRef {
	item := -1
	if h.batch {
		item = h.Item
	}
	return CertificateRef{Feed: h.Feed, Seq: h.Seq, Item: item, Time: h.Time,
		Number: c.Number, Issuer: c.Issuer, Destination: c.Destination, Issued: c.Issued.String()}
}

// newestFirst sorts records by entry time, newest first, then by feed and
// position.
func newestFirst(recs []HeldRecord) {
	slices.SortStableFunc(recs, func(a, b HeldRecord) int {
		return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(a.Feed, b.Feed), cmp.Compare(b.Seq, a.Seq), cmp.Compare(a.Item, b.Item))
	})
}
