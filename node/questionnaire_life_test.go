package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/reconcile"
)

// askBE publishes an anomaly query from in to BE, due on due, citing
// finding, and returns its seq.
func askBE(t *testing.T, in *Node, ref, due, finding string) uint64 {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/anomaly_query.json")
	if err != nil {
		t.Fatal(err)
	}
	var q map[string]any
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	q["reference"], q["due"], q["finding"] = ref, due, finding
	body, _ := json.Marshal(q)
	p, err := in.Publish(context.Background(), "anomaly_query", body, []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	return p.Seq
}

// replyOf is BE's reply to IN's query seq.
func replyOf(t *testing.T, in *Node, seq uint64) reconcile.PartnerReply {
	t.Helper()
	qs, err := in.Questionnaires()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs.Queries {
		if q.Ref.Seq == seq && len(q.Replies) == 1 {
			return q.Replies[0]
		}
	}
	t.Fatalf("no query %d in %+v", seq, qs.Queries)
	return reconcile.PartnerReply{}
}

// overdueEvents counts the overdue reminders in n's event log.
func overdueEvents(n *Node) int {
	evs, _, _ := n.Events(0)
	c := 0
	for _, e := range evs {
		if e.Kind == EventQuestionnaireOverdue {
			c++
		}
	}
	return c
}

// TestQuestionnaireLife: IN asks BE twice; BE's receipt acknowledges the
// open query; the overdue one raises its reminder once, not again at the
// next pass nor after a restart; BE answers, IN's clerk accepts the
// answer (audited with the clerk's name), which closes the questionnaire
// and the finding that started it.
func TestQuestionnaireLife(t *testing.T) {
	in, be := newFixture(t, "IN"), newFixture(t, "BE")
	in.start()
	be.start()
	pinBoth(t, in, be)
	// BE's statistics of 2025-Q1, and no more: BE owes the quarters since.
	stats := `{"version":1,"reporter":"BE","period":"2025-Q1","flow":"import","partner":"IN","hs_code":"7102.31","carats":"12.5","value_usd":"1000.00","certificates":1}`
	if _, err := be.n.Publish(context.Background(), "trade_statistics", []byte(stats), []string{"IN"}); err != nil {
		t.Fatal(err)
	}
	finding := ""
	eventually(t, 30*time.Second, "a finding about BE at IN (its missing statistics)", func() error {
		in.n.Calendar() // sets the calendar's parties: BE owes statistics
		for _, f := range in.n.FindingViews(FindingsQuery{}) {
			if f.Partner == "BE" {
				finding = f.ID
				return nil
			}
		}
		return fmt.Errorf("%d findings, none about BE", len(in.n.FindingViews(FindingsQuery{})))
	})
	late := askBE(t, in.n, "IN-AQ-2020-0001", "2020-01-31", "")
	open := askBE(t, in.n, "IN-AQ-2999-0001", "2999-12-31", finding)
	eventually(t, 30*time.Second, "BE's receipt acknowledges the open query", func() error {
		if r := replyOf(t, in.n, open); r.Status != reconcile.QueryAcknowledged {
			return fmt.Errorf("%+v", r)
		}
		return nil
	})
	for range 2 {
		if err := in.n.remindOverdue(); err != nil {
			t.Fatal(err)
		}
	}
	if c := overdueEvents(in.n); c != 1 {
		t.Fatalf("%d overdue reminders, want 1 (query %d)", c, late)
	}
	in.stop()
	in.start()
	if err := in.n.remindOverdue(); err != nil {
		t.Fatal(err)
	}
	if c := overdueEvents(in.n); c != 0 {
		t.Fatalf("%d overdue reminders after a restart, want none", c)
	}

	answer := fmt.Sprintf(`{"version":1,"query":{"feed":"IN","seq":%d},"answer":"Re-exports of August.","status":"answered"}`, open)
	p, err := be.n.Publish(context.Background(), "anomaly_answer", []byte(answer), []string{"IN"})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("BE/%d", p.Seq)
	eventually(t, 30*time.Second, "BE's answer at IN", func() error {
		if r := replyOf(t, in.n, open); r.Status != "answered" {
			return fmt.Errorf("%+v", r)
		}
		return nil
	})
	if _, err := in.n.AcceptAnswer(context.Background(), "BE/999"); err == nil {
		t.Fatal("accepted an answer that does not exist")
	}
	q, err := in.n.AcceptAnswer(WithActor(context.Background(), "ana"), id)
	if err != nil {
		t.Fatal(err)
	}
	if r := q.Replies[0]; r.Status != reconcile.QueryClosed || r.Accepted == nil || r.Accepted.Actor != "ana" {
		t.Fatalf("accepted reply %+v", r)
	}
	log, err := in.n.AuditLog(0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range log {
		found = found || r.Action == AuditAnswerAccept && r.Actor == "ana" && strings.Contains(string(r.Details), id)
	}
	if !found {
		t.Errorf("no answer.accept audit record by ana for %s", id)
	}
	if r := replyOf(t, in.n, open); r.Status != reconcile.QueryClosed {
		t.Errorf("after accepting, reply %+v", r)
	}
	v, err := in.n.FindingView(finding)
	if err != nil || v.Ack == nil || !strings.Contains(v.Ack.Note, "answered by query IN-AQ-2999-0001, accepted on") {
		t.Fatalf("finding %s after its questionnaire closed: %+v, %v", finding, v.Ack, err)
	}
}
