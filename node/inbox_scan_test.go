package node

import (
	"cmp"
	"slices"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// The inbox as it was computed before its lists were kept current: every
// held record of the inbox's types read and resolved on each call. It is
// the reference the kept lists are checked against (inbox_index_test.go)
// and the baseline of BenchmarkInbox.

// scanInbox answers q from the held records, as Inbox did by reading
// them all.
func (n *Node) scanInbox(q InboxQuery) (Inbox, error) {
	return inboxScan{n.cfg.Participant, n.id.Public(), n.heldRecordsOf}.inbox(q)
}

// inboxScan reads the held records of node self (feed key selfKey)
// through held, as heldRecordsOf returns them.
type inboxScan struct {
	self    string
	selfKey crypto.PublicKey
	held    func(typ string, author *crypto.PublicKey) ([]HeldRecord, error)
}

// currentRecords returns the current records of typ (author nil: of
// every feed), as Node.currentRecords does.
func (n inboxScan) currentRecords(typ string, author *crypto.PublicKey) ([]HeldRecord, error) {
	recs, err := n.held(typ, author)
	if err != nil {
		return nil, err
	}
	ws, err := n.held(protocol.WithdrawalType, author)
	if err != nil {
		return nil, err
	}
	return resolveLineages(recs, ws).currentRecords(), nil
}

func (n inboxScan) inbox(q InboxQuery) (Inbox, error) {
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
func (n inboxScan) unreplied(typ, replyType string, repliesTo func(protocol.Record) protocol.EntryRef) ([]RecordView, error) {
	self := n.selfKey
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
		if h.Feed != n.self && !replied[protocol.EntryRef{Feed: h.Feed, Seq: h.Seq}] {
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
func (n inboxScan) unconfirmed() (toConfirm, ours []CertificateRef, err error) {
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
		item := -1
		if h.batch {
			item = h.Item
		}
		ref := CertificateRef{Feed: h.Feed, Seq: h.Seq, Item: item, Time: h.Time,
			Number: c.Number, Issuer: c.Issuer, Destination: c.Destination, Issued: c.Issued.String()}
		switch {
		case h.Feed == n.self:
			ours = append(ours, ref)
		case c.Destination == n.self:
			toConfirm = append(toConfirm, ref)
		}
	}
	return toConfirm, ours, nil
}

// newestFirst sorts records by entry time, newest first, then by feed and
// position.
func newestFirst(recs []HeldRecord) {
	slices.SortStableFunc(recs, func(a, b HeldRecord) int {
		return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(a.Feed, b.Feed), cmp.Compare(b.Seq, a.Seq), cmp.Compare(a.Item, b.Item))
	})
}
