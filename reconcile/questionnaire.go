package reconcile

import (
	"cmp"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// The life of the anomaly queries a node sent (the Working Group on
// Statistics' Data Anomaly Questionnaire): per partner asked, sent (no
// answer yet, not overdue), overdue (no answer grace days after the due
// date), or answered (the answer's status: answered, cannot_answer,
// corrected); and per partner, how many it was asked and answered: the
// seed's "42 analyses, 15 responses".

// Reply statuses of a partner asked, besides protocol.AnswerStatuses.
const (
	QuerySent         = "sent"
	QueryAcknowledged = "acknowledged" // the partner's node signed a receipt covering the query
	QueryOverdue      = "overdue"
	QueryClosed       = "closed" // the answer was accepted by this node's clerk
)

// QueryFacts are what this node knows of its questionnaires besides the
// records: how far each partner's receipts cover this node's feed, and
// the answers its clerks accepted.
type QueryFacts struct {
	// Received is, per partner, the seq of this node's feed its latest
	// receipt covers.
	Received map[string]uint64
	// Accepted are the accepted answers, by the answer's entry.
	Accepted map[protocol.EntryRef]Acceptance
}

// Acceptance is a clerk's acceptance of an answer: it closes the
// partner's questionnaire.
type Acceptance struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
}

// SentQuery is a current anomaly query the node sent.
type SentQuery struct {
	Ref   RecordRef // the query's entry, in the node's feed
	Sent  time.Time // the entry's time
	Asked []string  // the partners asked: the entry's audience
	Query *protocol.AnomalyQuery
}

// QueryAnswer is a partner's current answer to one of the node's queries.
type QueryAnswer struct {
	Ref    RecordRef // the answer's entry; Feed is the partner
	At     time.Time // the entry's time
	Answer *protocol.AnomalyAnswer
}

// Questionnaires are the node's queries and their answers at a time.
type Questionnaires struct {
	At       time.Time      `json:"at"`
	Queries  []QueryStatus  `json:"queries"`
	Partners []ResponseRate `json:"partners"`
}

// QueryStatus is one query and the reply of each partner asked.
type QueryStatus struct {
	Ref       RecordRef      `json:"ref"`
	Reference string         `json:"reference"`
	Period    string         `json:"period"`
	Subject   string         `json:"subject"`
	Finding   string         `json:"finding,omitempty"`
	Sent      time.Time      `json:"sent,omitzero"`
	Due       protocol.Date  `json:"due"`
	Replies   []PartnerReply `json:"replies"`
}

// PartnerReply is where one partner asked stands.
type PartnerReply struct {
	Partner string `json:"partner"`
	// Status is QuerySent, QueryOverdue, or the answer's status.
	Status string `json:"status"`
	// Acknowledged: the partner's node holds the query (its receipt
	// covers the query's entry), whatever the status.
	Acknowledged bool        `json:"acknowledged"`
	Answered     time.Time   `json:"answered,omitzero"`
	Answer       *RecordRef  `json:"answer,omitempty"`
	Accepted     *Acceptance `json:"accepted,omitempty"`
	DaysOverdue  int         `json:"days_overdue,omitempty"`
}

// ResponseRate counts one partner's replies.
type ResponseRate struct {
	Partner  string `json:"partner"`
	Asked    int    `json:"asked"`
	Answered int    `json:"answered"` // any answer, "cannot answer" too, accepted or not
	Closed   int    `json:"closed"`   // answers accepted
	Overdue  int    `json:"overdue"`
	Pending  int    `json:"pending"`  // sent or acknowledged, not yet overdue
	RatePct  string `json:"rate_pct"` // answered of asked, two decimals
}

// TrackQueries returns the life of queries at now: an answer counts for
// the query it names when its author was asked (the latest of a partner's
// answers gives the status, the earliest the date answered; accepted in
// facts, it closes the questionnaire); a query unanswered graceDays after
// its due date is overdue, before that acknowledged once the partner's
// receipt covers it, else sent. The result does not depend on the order
// of queries or answers.
func TrackQueries(queries []SentQuery, answers []QueryAnswer, facts QueryFacts, now time.Time, graceDays int) Questionnaires {
	byQuery := map[protocol.EntryRef][]QueryAnswer{}
	for _, a := range answers {
		byQuery[a.Answer.Query] = append(byQuery[a.Answer.Query], a)
	}
	out := Questionnaires{At: now, Queries: []QueryStatus{}, Partners: []ResponseRate{}}
	rates := map[string]*ResponseRate{}
	for _, q := range sortedQueries(queries) {
		qs := QueryStatus{Ref: q.Ref, Reference: q.Query.Reference, Period: q.Query.Period, Subject: q.Query.Subject,
			Finding: q.Query.Finding, Sent: q.Sent, Due: q.Query.Due, Replies: []PartnerReply{}}
		asked := slices.Sorted(slices.Values(q.Asked))
		for _, p := range slices.Compact(asked) {
			r := reply(p, byQuery[protocol.EntryRef{Feed: q.Ref.Feed, Seq: q.Ref.Seq}], q.Query.Due, now, graceDays)
			r.Acknowledged = facts.Received[p] >= q.Ref.Seq
			settle(&r, facts)
			qs.Replies = append(qs.Replies, r)
			count(rates, r)
		}
		out.Queries = append(out.Queries, qs)
	}
	for _, p := range sortedKeys(rates) {
		r := rates[p]
		r.RatePct = pctOf(int64(r.Answered), int64(r.Asked))
		out.Partners = append(out.Partners, *r)
	}
	return out
}

func sortedQueries(qs []SentQuery) []SentQuery {
	out := slices.Clone(qs)
	slices.SortFunc(out, func(a, b SentQuery) int {
		return cmp.Or(cmp.Compare(a.Ref.Feed, b.Ref.Feed), cmp.Compare(a.Ref.Seq, b.Ref.Seq))
	})
	return out
}

// reply returns partner p's reply among the answers to one query.
func reply(p string, answers []QueryAnswer, due protocol.Date, now time.Time, graceDays int) PartnerReply {
	var first, last *QueryAnswer
	for i := range answers {
		a := &answers[i]
		if a.Ref.Feed != p {
			continue
		}
		if first == nil || a.At.Before(first.At) || a.At.Equal(first.At) && a.Ref.Seq < first.Ref.Seq {
			first = a
		}
		if last == nil || a.At.After(last.At) || a.At.Equal(last.At) && a.Ref.Seq > last.Ref.Seq {
			last = a
		}
	}
	if last != nil {
		ref := last.Ref
		return PartnerReply{Partner: p, Status: last.Answer.Status, Answered: first.At, Answer: &ref}
	}
	overdueAt := due.Time().AddDate(0, 0, 1+graceDays) // the due date itself is still on time
	if now.Before(overdueAt) {
		return PartnerReply{Partner: p, Status: QuerySent}
	}
	return PartnerReply{Partner: p, Status: QueryOverdue, DaysOverdue: daysBetween(due.Time().AddDate(0, 0, 1), now)}
}

func count(rates map[string]*ResponseRate, r PartnerReply) {
	rr := rates[r.Partner]
	if rr == nil {
		rr = &ResponseRate{Partner: r.Partner}
		rates[r.Partner] = rr
	}
	rr.Asked++
	switch r.Status {
	case QuerySent, QueryAcknowledged:
		rr.Pending++
	case QueryOverdue:
		rr.Overdue++
	case QueryClosed:
		rr.Answered++
		rr.Closed++
	default:
		rr.Answered++
	}
}

// settle moves a reply on from its records' status with facts: an
// accepted answer closes it, a receipt acknowledges a query still within
// its time.
func settle(r *PartnerReply, facts QueryFacts) {
	switch {
	case r.Answer != nil:
		if a, ok := facts.Accepted[protocol.EntryRef{Feed: r.Answer.Feed, Seq: r.Answer.Seq}]; ok {
			r.Status, r.Accepted = QueryClosed, &a
		}
	case r.Status == QuerySent && r.Acknowledged:
		r.Status = QueryAcknowledged
	}
}
