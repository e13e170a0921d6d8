package trade

import (
	"encoding/json"
	"fmt"

	"github.com/kpnode/kpnode/protocol"
)

// Questionnaires. When anomalies are injected, every node with partners
// sends its first partner (in code order) one Data Anomaly Questionnaire
// query about the last statistics quarter, due 30 days before Now, which
// nobody answers: overdue at the asker from Now to two weeks later
// (whatever anomaly_query_grace_days up to 30 the asker uses). A node
// with a second partner also asks it a query due 30 days after Now, which
// that partner answers. They draw nothing from the random source, so the
// rest of the plan is the same with or without them; no rule raises a
// finding from a query or an answer.

// overdueDays is how long before Now an unanswered query fell due.
const overdueDays = 30

// ExpectedQuestions is what an asker's questionnaires must show for one
// partner asked (GET /api/questionnaires, its "partners").
type ExpectedQuestions struct {
	Asker    string `json:"asker"`
	Partner  string `json:"partner"`
	Asked    int    `json:"asked"`
	Answered int    `json:"answered"`
	Overdue  int    `json:"overdue"`
}

// questionnaires returns the queries, the answers and what each asker
// must show.
func (g *generator) questionnaires() ([]Item, []ExpectedQuestions) {
	if g.opt.Anomalies == 0 {
		return nil, nil
	}
	var items []Item
	var want []ExpectedQuestions
	for _, p := range g.opt.Participants {
		ps := g.nodes[p].partners
		if len(ps) == 0 {
			continue
		}
		items = append(items, g.query(p, ps[0], 1, addDays(g.cal.today, -overdueDays)))
		want = append(want, ExpectedQuestions{Asker: p, Partner: ps[0], Asked: 1, Overdue: 1})
		if len(ps) > 1 {
			q := g.query(p, ps[1], 2, addDays(g.cal.today, overdueDays))
			items = append(items, q, answer(q))
			want = append(want, ExpectedQuestions{Asker: p, Partner: ps[1], Asked: 1, Answered: 1})
		}
	}
	return items, want // in the participants' order: sorted
}

// query is asker's n-th query to partner about the last statistics
// quarter, due on due.
func (g *generator) query(asker, partner string, n int, due protocol.Date) Item {
	q := &protocol.AnomalyQuery{Version: 1, Reference: fmt.Sprintf("%s-AQ-%d-%04d", asker, g.cal.today.Year, n),
		Period: g.cal.stat.String(), Subject: fmt.Sprintf("%s's trade statistics with %s", partner, asker),
		Figure: "imports from " + asker + ", 7102.31, carats", Observed: "the mirror figures differ",
		Due: due, Question: "Please explain the difference, or correct the figure if it is an error."}
	return Item{Author: asker, To: []string{partner}, Type: protocol.AnomalyQueryType, Step: stepReports, body: q}
}

// answer is the partner's answer to query item q. Its query.seq is a
// placeholder until the publisher learns the query's entry (AnswerTo).
func answer(q Item) Item {
	a := &protocol.AnomalyAnswer{Version: 1, Query: protocol.EntryRef{Feed: q.Author, Seq: 1}, Status: "answered",
		Answer: "Goods shipped at the quarter's end were declared in the next quarter; the figures agree over the two."}
	ref := q.body.(*protocol.AnomalyQuery).Reference
	return Item{Author: q.To[0], To: []string{q.Author}, Type: protocol.AnomalyAnswerType, Step: stepAnswers, Answers: ref, body: a}
}

// AnswerTo returns the record of answer item it naming the query it
// answers by that query's entry: seq in the feed of it.To[0], the asker.
func AnswerTo(it Item, seq uint64) (json.RawMessage, error) {
	var a protocol.AnomalyAnswer
	if err := json.Unmarshal(it.Record, &a); err != nil {
		return nil, fmt.Errorf("answer of %s to %s: %w", it.Author, it.Answers, err)
	}
	a.Query.Seq = seq
	return json.Marshal(&a)
}

// check reports what is wrong with an expectation read from a file.
func (q ExpectedQuestions) check() error {
	switch {
	case !known(q.Asker) || !known(q.Partner) || q.Asker == q.Partner:
		return fmt.Errorf("asker %q and partner %q: want two different participant codes", q.Asker, q.Partner)
	case q.Asked < 1 || q.Answered < 0 || q.Overdue < 0 || q.Answered+q.Overdue > q.Asked:
		return fmt.Errorf("%s asking %s: asked %d, answered %d, overdue %d do not add up", q.Asker, q.Partner, q.Asked, q.Answered, q.Overdue)
	}
	return nil
}

func known(code string) bool {
	_, ok := protocol.LookupParticipant(code)
	return ok
}
