package trade

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// TestQuestionnaires: with anomalies, every node with partners
// sends its first partner one query, due before Now by more than any
// grace, that nobody answers, and its second partner one due a month
// ahead that it answers; the truth holds each asker's expectation
// and survives a round trip; clean trade has none.
func TestQuestionnaires(t *testing.T) {
	o := Options{Participants: five, Links: mesh(five), Days: 30, Seed: 5, Anomalies: 12, Now: mustTime("2026-05-20T09:00:00Z")}
	p := mustGenerate(t, o)
	queries := map[string]Item{} // by reference
	var answers []Item
	for _, it := range p.Items {
		switch it.Type {
		case protocol.AnomalyQueryType:
			var q protocol.AnomalyQuery
			if err := json.Unmarshal(it.Record, &q); err != nil {
				t.Fatal(err)
			}
			queries[q.Reference] = it
			checkQuery(t, p, it, q)
		case protocol.AnomalyAnswerType:
			answers = append(answers, it)
		}
	}
	if len(queries) != 2*len(five) || len(answers) != len(five) || len(p.Questions) != 2*len(five) {
		t.Fatalf("%d queries, %d answers, %d expectations, want %d, %d, %d", len(queries), len(answers), len(p.Questions), 2*len(five), len(five), 2*len(five))
	}
	for _, a := range answers {
		q, ok := queries[a.Answers]
		if !ok || q.Step >= a.Step || !slices.Equal(a.To, []string{q.Author}) || !slices.Equal(q.To, []string{a.Author}) {
			t.Errorf("answer of %s to %v answers %q: want a query of its audience to it, published first", a.Author, a.To, a.Answers)
		}
		rec, err := AnswerTo(a, 77)
		var got protocol.AnomalyAnswer
		if err != nil || json.Unmarshal(rec, &got) != nil || got.Query != (protocol.EntryRef{Feed: q.Author, Seq: 77}) {
			t.Errorf("AnswerTo(%s, 77) = %s, %v; want the query %s/77", a.Answers, rec, err, q.Author)
		}
	}
	var buf bytes.Buffer
	if err := p.WriteTruth(&buf); err != nil {
		t.Fatal(err)
	}
	tr, err := ReadTruth(&buf)
	if err != nil || !slices.Equal(tr.Questions, p.Questions) {
		t.Fatalf("truth round trip: %+v, %v", tr, err)
	}
	bad := bytes.Replace(buf.Bytes(), []byte(`"overdue": 1`), []byte(`"overdue": 2`), 1)
	if _, err := ReadTruth(bytes.NewReader(bad)); err == nil {
		t.Error("a truth whose counts do not add up was read")
	}
	o.Anomalies = 0
	if c := mustGenerate(t, o); len(c.Questions) != 0 {
		t.Errorf("clean trade asks %d questions", len(c.Questions))
	}
}

// checkQuery checks a query against the expectation of its asker and
// partner: answered and due a month ahead, or unanswered and overdue by a
// month.
func checkQuery(t *testing.T, p *Plan, it Item, q protocol.AnomalyQuery) {
	t.Helper()
	i := slices.IndexFunc(p.Questions, func(w ExpectedQuestions) bool {
		return w.Asker == it.Author && slices.Equal(it.To, []string{w.Partner})
	})
	if i < 0 {
		t.Fatalf("query %s of %s to %v: no expectation", q.Reference, it.Author, it.To)
	}
	w := p.Questions[i]
	switch {
	case w.Asked != 1 || w.Answered+w.Overdue != 1:
		t.Errorf("%s: expectation %+v, want one query answered or overdue", q.Reference, w)
	case w.Overdue == 1 && !q.Due.Before(addDays(p.To, -overdueDays+1)):
		t.Errorf("%s due %s: not overdue by %d days at %s", q.Reference, q.Due, overdueDays, p.To)
	case w.Answered == 1 && !q.Due.After(addDays(p.To, overdueDays-1)):
		t.Errorf("%s due %s: not a month ahead of %s", q.Reference, q.Due, p.To)
	}
}
