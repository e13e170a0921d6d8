package node

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/store"
)

// Store metadata keys of the questionnaires' life: an accepted answer
// ("accept/answer/<feed>/<seq>", the acceptance) and a questionnaire
// whose overdue reminder was raised ("remind/query/<seq>/<partner>").
// Both are written once and outlive restarts.
const (
	acceptMetaPrefix = "accept/answer/"
	remindMetaPrefix = "remind/query/"
)

// EventQuestionnaireOverdue is the event raised once when a partner asked
// lets a questionnaire become overdue.
const EventQuestionnaireOverdue = "questionnaire_overdue"

// queryFacts are the receipts and acceptances TrackQueries needs.
func (n *Node) queryFacts() (reconcile.QueryFacts, error) {
	facts := reconcile.QueryFacts{Received: map[string]uint64{}, Accepted: map[protocol.EntryRef]reconcile.Acceptance{}}
	for _, p := range n.roster.Stored() {
		pid, err := peer.Decode(p.Key.PeerID())
		if l := n.ex.Link(pid); err == nil && l.Receipt != nil {
			facts.Received[p.Code] = l.Receipt.Seq
		}
	}
	vals, err := n.st.MetaPrefix(acceptMetaPrefix)
	if err != nil {
		return facts, fmt.Errorf("read accepted answers: %w", err)
	}
	for k, v := range vals {
		ref, ok := parseRefKey(strings.TrimPrefix(k, acceptMetaPrefix))
		var a reconcile.Acceptance
		if err := json.Unmarshal(v, &a); !ok || err != nil {
			n.log.Warn("skip unreadable answer acceptance", "key", k, "err", err)
			continue
		}
		facts.Accepted[ref] = a
	}
	return facts, nil
}

// parseRefKey reads "<feed>/<seq>".
func parseRefKey(s string) (protocol.EntryRef, bool) {
	feed, seq, ok := strings.Cut(s, "/")
	n, err := strconv.ParseUint(seq, 10, 64)
	return protocol.EntryRef{Feed: feed, Seq: n}, ok && err == nil && feed != ""
}

// AcceptAnswer closes the questionnaire a partner's answer replies to:
// this node's clerk accepts the answer id ("BE/9", the answer's entry),
// which must be the partner's current answer to one of this node's
// queries. The acceptance is stored and audited with the actor ctx names;
// the finding that started the query is acknowledged with a note naming
// the query and the date. It returns an error wrapping
// [ErrInvalidRequest] for an id that names no such answer.
func (n *Node) AcceptAnswer(ctx context.Context, id string) (reconcile.QueryStatus, error) {
	ref, ok := parseRefKey(id)
	if !ok {
		return reconcile.QueryStatus{}, fmt.Errorf("%w: answer %.40q: want FEED/SEQ such as BE/9", ErrInvalidRequest, id)
	}
	q, r, err := n.currentAnswer(ref)
	if err != nil {
		return reconcile.QueryStatus{}, err
	}
	if r.Accepted != nil {
		return q, nil // accepted already: the first acceptance stands
	}
	actor := actorOf(ctx)
	a := reconcile.Acceptance{At: n.now().UTC().Truncate(time.Second), Actor: actor}
	v, err := json.Marshal(a)
	if err != nil {
		return reconcile.QueryStatus{}, err
	}
	ev := store.AuditEvent{Action: AuditAnswerAccept, Actor: actor,
		Details: map[string]any{"answer": id, "query": q.Ref.Feed + "/" + strconv.FormatUint(q.Ref.Seq, 10), "reference": q.Reference}}
	if err := n.st.PutMetaAudited(acceptMetaPrefix+id, v, ev); err != nil {
		return reconcile.QueryStatus{}, fmt.Errorf("accept answer %s: %w", id, err)
	}
	n.events.emit("questionnaire_closed", map[string]any{"query": q.Reference, "partner": ref.Feed, "answer": id})
	n.closeFinding(actor, q, a)
	q, _, err = n.currentAnswer(ref)
	return q, err
}

// currentAnswer returns the questionnaire whose partner's latest answer
// is ref, and that partner's reply.
func (n *Node) currentAnswer(ref protocol.EntryRef) (reconcile.QueryStatus, reconcile.PartnerReply, error) {
	qs, err := n.Questionnaires()
	if err != nil {
		return reconcile.QueryStatus{}, reconcile.PartnerReply{}, err
	}
	for _, q := range qs.Queries {
		for _, r := range q.Replies {
			if r.Answer != nil && r.Answer.Feed == ref.Feed && r.Answer.Seq == ref.Seq {
				return q, r, nil
			}
		}
	}
	return reconcile.QueryStatus{}, reconcile.PartnerReply{}, fmt.Errorf("%w: %s/%d is not a partner's current answer to one of this node's queries",
		ErrInvalidRequest, ref.Feed, ref.Seq)
}

// closeFinding acknowledges the finding that started q, if it is still
// current, with a note saying which accepted answer closed it.
func (n *Node) closeFinding(actor string, q reconcile.QueryStatus, a reconcile.Acceptance) {
	if q.Finding == "" {
		return
	}
	note := fmt.Sprintf("answered by query %s, accepted on %s", q.Reference, a.At.Format(time.DateOnly))
	if _, err := n.acknowledgeFinding(actor, q.Finding, note); err != nil {
		n.log.Info("finding of an accepted answer not closed", "finding", q.Finding, "err", err)
	}
}

// remindOverdue raises EventQuestionnaireOverdue once for each partner
// who let one of this node's queries become overdue, and stores that it
// did, so a restart does not raise it again.
func (n *Node) remindOverdue() error {
	qs, err := n.Questionnaires()
	if err != nil {
		return err
	}
	done, err := n.st.MetaPrefix(remindMetaPrefix)
	if err != nil {
		return fmt.Errorf("read questionnaire reminders: %w", err)
	}
	for _, q := range qs.Queries {
		for _, r := range q.Replies {
			key := fmt.Sprintf("%s%d/%s", remindMetaPrefix, q.Ref.Seq, r.Partner)
			if _, ok := done[key]; ok || r.Status != reconcile.QueryOverdue {
				continue
			}
			if err := n.st.PutMeta(key, []byte(n.now().UTC().Format(time.RFC3339))); err != nil {
				return fmt.Errorf("store questionnaire reminder: %w", err)
			}
			n.events.emit(EventQuestionnaireOverdue, map[string]any{"query": q.Reference, "seq": q.Ref.Seq,
				"partner": r.Partner, "due": q.Due.String(), "days_overdue": r.DaysOverdue})
		}
	}
	return nil
}
