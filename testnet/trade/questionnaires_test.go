package trade

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// TestUnansweredQuestionnaires: with anomalies, every node with partners
// sends its first partner one query, due before Now by more than any
// grace, that nobody answers; the truth holds each asker's expectation
// and survives a round trip; clean trade has none.
func TestUnansweredQuestionnaires(t *testing.T) {
	o := Options{Participants: five, Links: mesh(five), Days: 30, Seed: 5, Anomalies: 12, Now: mustTime("2026-05-20T09:00:00Z")}
	p := mustGenerate(t, o)
	var queries []Item
	for _, it := range p.Items {
		switch it.Type {
		case protocol.AnomalyQueryType:
			queries = append(queries, it)
		case protocol.AnomalyAnswerType:
			t.Errorf("an answer in the plan: %s", it.Record)
		}
	}
	if len(queries) != len(five) || len(p.Questions) != len(five) {
		t.Fatalf("%d queries, %d expectations, want %d each", len(queries), len(p.Questions), len(five))
	}
	for i, it := range queries {
		var q protocol.AnomalyQuery
		if err := json.Unmarshal(it.Record, &q); err != nil {
			t.Fatal(err)
		}
		w := p.Questions[i]
		if it.Author != w.Asker || !slices.Equal(it.To, []string{w.Partner}) || w.Asked != 1 || w.Overdue != 1 || w.Answered != 0 {
			t.Errorf("query of %s to %v, expectation %+v", it.Author, it.To, w)
		}
		if !q.Due.Before(addDays(p.To, -overdueDays+1)) {
			t.Errorf("%s due %s: not overdue by %d days at %s", q.Reference, q.Due, overdueDays, p.To)
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
