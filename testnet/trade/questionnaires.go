package trade

import (
	"fmt"

	"github.com/kpnode/kpnode/protocol"
)

// Unanswered questionnaires. When anomalies are injected, every node with
// partners sends its first partner (in code order) one Data Anomaly
// Questionnaire query about the last statistics quarter, due 30 days before
// Now, which nobody answers: overdue at the asker from Now to two weeks
// later (whatever anomaly_query_grace_days up to 30 the asker uses).
// They draw nothing from the random source, so the rest of the plan is
// the same with or without them; no rule raises a finding from a query.

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

// questionnaires returns the queries and what each asker must show.
func (g *generator) questionnaires() ([]Item, []ExpectedQuestions) {
	if g.opt.Anomalies == 0 {
		return nil, nil
	}
	var items []Item
	var want []ExpectedQuestions
	due := addDays(g.cal.today, -overdueDays)
	for _, p := range g.opt.Participants {
		ps := g.nodes[p].partners
		if len(ps) == 0 {
			continue
		}
		to := ps[0]
		q := &protocol.AnomalyQuery{Version: 1, Reference: fmt.Sprintf("%s-AQ-%d-0001", p, g.cal.today.Time().Year()),
			Period: g.cal.stat.String(), Subject: fmt.Sprintf("%s's trade statistics with %s", to, p),
			Figure: "imports from " + p + ", 7102.31, carats", Observed: "the mirror figures differ",
			Due: due, Question: "Please explain the difference, or correct the figure if it is an error."}
		items = append(items, Item{Author: p, To: []string{to}, Type: protocol.AnomalyQueryType, Step: stepReports, body: q})
		want = append(want, ExpectedQuestions{Asker: p, Partner: to, Asked: 1, Overdue: 1})
	}
	return items, want // in the participants' order: sorted
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
