package api

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kpnode/kpnode/reconcile"
)

// TestQuestionnairesRoute: IN asks BE two questions, one long overdue; BE
// answers the other; IN's questionnaires show one answered and one overdue,
// and BE's response rate of 50 %.
func TestQuestionnairesRoute(t *testing.T) {
	in, be := pairNodes(t)
	ask := func(ref, due string) uint64 {
		var q map[string]any
		if err := json.Unmarshal([]byte(readExample(t, "anomaly_query.json")), &q); err != nil {
			t.Fatal(err)
		}
		q["reference"], q["due"] = ref, due
		body, _ := json.Marshal(map[string]any{"to": []string{"BE"}, "record": q})
		var p struct{ Seq uint64 }
		apiJSON(t, in, "POST", "/api/records/anomaly_query", body, &p)
		return p.Seq
	}
	ask("IN-AQ-2020-0001", "2020-01-31")
	open := ask("IN-AQ-2020-0002", "2999-12-31")
	eventually(t, "IN's second question at BE", func() error {
		if code, _ := call(t, be, "GET", fmt.Sprintf("/api/records/IN/%d", open), testToken, nil); code != 200 {
			return fmt.Errorf("status %d", code)
		}
		return nil
	})
	answer := fmt.Sprintf(`{"to":["IN"],"record":{"version":1,"query":{"feed":"IN","seq":%d},"answer":"Re-exports of August.","status":"answered"}}`, open)
	apiJSON(t, be, "POST", "/api/records/anomaly_answer", []byte(answer), nil)

	var q reconcile.Questionnaires
	eventually(t, "BE's answer at IN", func() error {
		apiJSON(t, in, "GET", "/api/questionnaires", nil, &q)
		if len(q.Partners) != 1 || q.Partners[0].Answered != 1 {
			return fmt.Errorf("%+v", q.Partners)
		}
		return nil
	})
	if r := q.Partners[0]; r.Partner != "BE" || r.Asked != 2 || r.Overdue != 1 || r.RatePct != "50.00" {
		t.Errorf("BE's rate %+v", r)
	}
	if len(q.Queries) != 2 || q.Queries[0].Replies[0].Status != reconcile.QueryOverdue || q.Queries[1].Replies[0].Status != "answered" ||
		q.Queries[1].Replies[0].Answer == nil || q.Queries[1].Replies[0].Answer.Feed != "BE" {
		t.Fatalf("queries %+v", q.Queries)
	}
	// the clerk accepts BE's answer: the questionnaire closes
	ans := q.Queries[1].Replies[0].Answer
	body := fmt.Sprintf(`{"answer":"%s/%d"}`, ans.Feed, ans.Seq)
	if code, out := call(t, in, "POST", "/api/questionnaires/accept", testToken, []byte(`{"answer":"BE/999"}`)); code != 400 {
		t.Errorf("accepting no answer: %d %s", code, out)
	}
	var closed reconcile.QueryStatus
	apiJSON(t, in, "POST", "/api/questionnaires/accept", []byte(body), &closed)
	if r := closed.Replies[0]; r.Status != reconcile.QueryClosed || r.Accepted == nil {
		t.Errorf("accepted %+v", r)
	}
	apiJSON(t, in, "GET", "/api/questionnaires", nil, &q)
	if r := q.Partners[0]; r.Closed != 1 || r.Answered != 1 {
		t.Errorf("BE's rate after accepting %+v", r)
	}
}
