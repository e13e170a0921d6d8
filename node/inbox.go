package node

import (
	"fmt"
	"time"
)

// The inbox (GET /api/inbox, the dashboard's "Waiting for this node") is
// computed from current records only, as every figure of the node: a
// record corrected or withdrawn since is replaced by its correction or
// gone, a withdrawn reply answers nothing (current.go). Its lists are
// kept current as records are committed (inbox_index.go, inbox_load.go);
// the answer is paged.

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
// records count, replies included. It costs the page it answers: the
// lists are kept current as records are committed (inbox_index.go), and
// only the first call after start, or after a partner was added or
// removed, reads the held records (it waits for the read if one is under
// way).
func (n *Node) Inbox(q InboxQuery) (Inbox, error) {
	ib, notices, questions, err := n.inboxPage(q)
	if err != nil {
		return Inbox{}, err
	}
	if ib.Notices, err = n.recordViews(notices); err != nil {
		return Inbox{}, err
	}
	if ib.Questions, err = n.recordViews(questions); err != nil {
		return Inbox{}, err
	}
	return ib, nil
}

// inboxPage answers q from the lists, read first if they are not
// current.
func (n *Node) inboxPage(q InboxQuery) (ib Inbox, notices, questions []HeldRecord, err error) {
	x := n.inbox
	for range inboxBuilds {
		if err := n.buildInbox(); err != nil {
			return Inbox{}, nil, nil, err
		}
		x.mu.Lock()
		if x.lists != nil { // else a partner changed since buildInbox
			ib, notices, questions = x.lists.answer(q)
			x.mu.Unlock()
			return ib, notices, questions, nil
		}
		x.mu.Unlock()
	}
	return Inbox{}, nil, nil, fmt.Errorf("answer inbox: %w", ErrInboxChanging)
}

// answer returns the pages of the lists that q asks for, but for the
// notices and questions, which it returns as held records without body.
func (l *inboxLists) answer(q InboxQuery) (ib Inbox, notices, questions []HeldRecord) {
	lim, off := inboxLimit(q.Limit), max(q.Offset, 0)
	ib.Counts = InboxCounts{l.noticeList.Len(), l.questionList.Len(), l.toConfirm.Len(), l.ours.Len()}
	noticeRecs, trunc := pageOf(&l.noticeList, off, lim, false)
	questionRecs, trunc := pageOf(&l.questionList, off, lim, trunc)
	toConfirm, trunc := pageOf(&l.toConfirm, off, lim, trunc)
	ours, trunc := pageOf(&l.ours, off, lim, trunc)
	ib.Truncated = trunc
	ib.ToConfirm, ib.Unconfirmed = certificateRefs(toConfirm), certificateRefs(ours)
	return ib, heldRecs(noticeRecs), heldRecs(questionRecs)
}

func inboxLimit(l int) int {
	if l <= 0 {
		return DefaultInboxLimit
	}
	return min(l, MaxInboxLimit)
}

// pageOf returns the records of o at off, off+1, … (at most lim), and
// whether more follow or cut was already.
func pageOf(o *inboxOrder, off, lim int, cut bool) ([]*inboxRec, bool) {
	recs := o.page(off, lim)
	return recs, cut || off+len(recs) < o.Len()
}

// heldRecs returns the held records of recs.
func heldRecs(recs []*inboxRec) []HeldRecord {
	out := make([]HeldRecord, len(recs))
	for i, r := range recs {
		out[i] = r.held()
	}
	return out
}

// recordViews returns the views of lone records, their bodies read from
// the store.
func (n *Node) recordViews(hs []HeldRecord) ([]RecordView, error) {
	out := make([]RecordView, 0, len(hs))
	for _, h := range hs {
		r, err := n.st.Record(h.key, h.Seq)
		if err != nil {
			return nil, fmt.Errorf("read %s %s/%d: %w", h.Type, h.Feed, h.Seq, err)
		}
		out = append(out, RecordView{Feed: h.Feed, Seq: h.Seq, Time: h.Time, Type: h.Type, Record: r.Body})
	}
	return out, nil
}

func certificateRefs(recs []*inboxRec) []CertificateRef {
	out := make([]CertificateRef, len(recs))
	for i, r := range recs {
		out[i] = certificateRef(r)
	}
	return out
}

func certificateRef(r *inboxRec) CertificateRef {
	item := -1
	if r.batch {
		item = int(r.item)
	}
	return CertificateRef{Feed: r.feed, Seq: r.seq, Item: item, Time: r.time,
		Number: r.doc.number, Issuer: r.doc.issuer(), Destination: r.doc.destination(), Issued: r.issued().String()}
}
