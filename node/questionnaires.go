package node

import (
	"fmt"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/store"
)

// questionnaireTypes are the record types the questionnaires read: the
// queries, the answers, and the withdrawals that may end either.
var questionnaireTypes = []string{protocol.AnomalyQueryType, protocol.AnomalyAnswerType, protocol.WithdrawalType}

// Questionnaires returns the life of the anomaly queries this node sent:
// per partner asked, sent, acknowledged (its receipt covers the query),
// overdue, answered or closed (the answer accepted), and each partner's
// response rate (reconcile.TrackQueries), at the node's clock. Only
// current queries and answers count (a correction replaces, a withdrawal
// ends); it reads the held records of the three types afresh.
func (n *Node) Questionnaires() (reconcile.Questionnaires, error) {
	self := n.cfg.Participant
	chains := reconcile.NewChains[*queryRec](nil)
	for _, typ := range questionnaireTypes {
		if err := n.eachStored(typ, func(code string, r *store.StoredRecord, v protocol.Record) error {
			return n.putQueryRec(chains, self, code, r, v)
		}); err != nil {
			return reconcile.Questionnaires{}, err
		}
	}
	var queries []reconcile.SentQuery
	var answers []reconcile.QueryAnswer
	chains.Each(func(_ reconcile.Pos, h *queryRec) {
		if h == nil {
			return
		}
		switch v := h.value.(type) {
		case *protocol.AnomalyQuery:
			queries = append(queries, reconcile.SentQuery{Ref: h.ref, Sent: h.r.Time, Asked: h.asked, Query: v})
		case *protocol.AnomalyAnswer:
			answers = append(answers, reconcile.QueryAnswer{Ref: h.ref, At: h.r.Time, Answer: v})
		}
	})
	facts, err := n.queryFacts()
	if err != nil {
		return reconcile.Questionnaires{}, err
	}
	return reconcile.TrackQueries(queries, answers, facts, n.now(), n.cfg.Reconcile.AnomalyQueryGraceDays), nil
}

// queryRec is a held query, answer or withdrawal in the questionnaires'
// chains.
type queryRec struct {
	r     *store.StoredRecord
	ref   reconcile.RecordRef
	value protocol.Record
	asked []string // a query's audience
}

// putQueryRec puts one held record into chains: this node's queries with
// their audience, partners' answers to this node's queries, and
// withdrawals; others are left out.
func (n *Node) putQueryRec(chains *reconcile.Chains[*queryRec], self, code string, r *store.StoredRecord, v protocol.Record) error {
	h := &queryRec{r: r, ref: reconcile.RecordRef{Feed: code, Seq: r.Seq, Type: r.Type}, value: v}
	pos := reconcile.Pos{Feed: code + "\x00" + string(r.Author[:]), Seq: r.Seq} // a rotated participant has two feeds
	switch a := v.(type) {
	case *protocol.AnomalyQuery:
		if code != self {
			return nil
		}
		e, err := n.st.Entry(r.Author, r.Seq)
		if err != nil {
			return fmt.Errorf("read query entry %s/%d: %w", code, r.Seq, err)
		}
		h.asked = e.Audience
	case *protocol.AnomalyAnswer:
		if code == self || a.Query.Feed != self {
			return nil
		}
	case *protocol.Withdrawal:
		chains.Put(pos, protocol.WithdrawalType, &a.Supersedes, nil)
		return nil
	}
	chains.Put(pos, r.Type, v.Replaces(), h)
	return nil
}

// eachStored calls fn with every held record of type typ that parses,
// with its author's participant code, a page at a time.
func (n *Node) eachStored(typ string, fn func(code string, r *store.StoredRecord, v protocol.Record) error) error {
	var after *store.Cursor
	for {
		recs, err := n.st.Records(store.RecordQuery{Type: typ, Limit: loadPage, After: after})
		if err != nil {
			return fmt.Errorf("read %s records: %w", typ, err)
		}
		for _, r := range recs {
			code, ok := n.roster.Snapshot().FeedCode(r.Author)
			if !ok {
				continue
			}
			v, err := protocol.ParseRecord(r.Type, r.Body)
			if err != nil {
				continue // counted when it was stored
			}
			if err := fn(code, r, v); err != nil {
				return err
			}
		}
		if len(recs) < loadPage {
			return nil
		}
		c := recs[len(recs)-1].Cursor()
		after = &c
	}
}
