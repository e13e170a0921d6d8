package reconcile

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

func sentQuery(seq uint64, due string, asked ...string) SentQuery {
	return SentQuery{Ref: RecordRef{Feed: "IN", Seq: seq, Type: protocol.AnomalyQueryType}, Sent: at("2025-01-10"), Asked: asked,
		Query: &protocol.AnomalyQuery{Version: 1, Reference: "IN-AQ-2025-000" + string(rune('0'+seq)), Period: "2024-Q4", Subject: "s",
			Figure: "f", Observed: "o", Due: day(due), Question: "q"}}
}

func queryAnswer(by string, seq, query uint64, when, status string) QueryAnswer {
	return QueryAnswer{Ref: RecordRef{Feed: by, Seq: seq, Type: protocol.AnomalyAnswerType}, At: at(when),
		Answer: &protocol.AnomalyAnswer{Version: 1, Query: protocol.EntryRef{Feed: "IN", Seq: query}, Answer: "a", Status: status}}
}

// questionnaireCase: three queries, to BE and AE; BE answers one, then
// corrects its figures in a second answer; AE answers nothing; ZA answers
// a query it was not asked, which counts nowhere.
func questionnaireCase() ([]SentQuery, []QueryAnswer) {
	qs := []SentQuery{sentQuery(1, "2025-02-10", "BE", "AE"), sentQuery(2, "2025-03-31", "BE"), sentQuery(3, "2025-06-30", "AE")}
	as := []QueryAnswer{
		queryAnswer("BE", 7, 1, "2025-02-01", "answered"),
		queryAnswer("BE", 9, 1, "2025-02-20", "corrected"),
		queryAnswer("ZA", 3, 2, "2025-02-01", "answered"),
	}
	return qs, as
}

func TestTrackQueries(t *testing.T) {
	qs, as := questionnaireCase()
	got := TrackQueries(qs, as, QueryFacts{}, at("2025-04-05"), 3)
	want := map[string]string{"1/AE": QueryOverdue, "1/BE": "corrected", "2/BE": QueryOverdue, "3/AE": QuerySent}
	for _, q := range got.Queries {
		for _, r := range q.Replies {
			k := string(rune('0'+q.Ref.Seq)) + "/" + r.Partner
			if r.Status != want[k] {
				t.Errorf("%s: %+v, want %s", k, r, want[k])
			}
			delete(want, k)
			if k == "1/BE" && (!r.Answered.Equal(at("2025-02-01")) || r.Answer == nil || r.Answer.Seq != 9) {
				t.Errorf("1/BE answered %v by %+v: want the first date and the latest answer", r.Answered, r.Answer)
			}
			if k == "1/AE" && r.DaysOverdue != 53 {
				t.Errorf("1/AE %d days overdue, want 53 (from 11 February)", r.DaysOverdue)
			}
		}
	}
	if len(want) != 0 {
		t.Errorf("replies not listed: %v", want)
	}
	// Query 2 (due 31 March, 3 days' grace) is still within its grace on
	// 3 April and overdue from 4 April, counted from 1 April.
	if r := TrackQueries(qs, as, QueryFacts{}, at("2025-04-03"), 3).Queries[1].Replies[0]; r.Status != QuerySent {
		t.Errorf("within the grace: %+v", r)
	}
	if r := TrackQueries(qs, as, QueryFacts{}, at("2025-04-04"), 3).Queries[1].Replies[0]; r.Status != QueryOverdue || r.DaysOverdue != 3 {
		t.Errorf("after the grace: %+v", r)
	}
	rates := map[string]ResponseRate{}
	for _, r := range got.Partners {
		rates[r.Partner] = r
	}
	if r := rates["BE"]; r.Asked != 2 || r.Answered != 1 || r.Overdue != 1 || r.Pending != 0 || r.RatePct != "50.00" {
		t.Errorf("BE %+v", r)
	}
	if r := rates["AE"]; r.Asked != 2 || r.Answered != 0 || r.Overdue != 1 || r.Pending != 1 || r.RatePct != "0.00" {
		t.Errorf("AE %+v", r)
	}
	if _, ok := rates["ZA"]; ok || len(got.Partners) != 2 {
		t.Errorf("a partner not asked is counted: %+v", got.Partners)
	}
}

// TestTrackQueriesAnyOrder checks that the order of queries and answers
// changes nothing.
func TestTrackQueriesAnyOrder(t *testing.T) {
	qs, as := questionnaireCase()
	now := at("2025-04-05")
	facts := questionnaireFacts()
	want, _ := json.Marshal(TrackQueries(qs, as, facts, now, 0))
	rng := rand.New(rand.NewPCG(3, 19))
	for range 20 {
		q2, a2 := slices.Clone(qs), slices.Clone(as)
		rng.Shuffle(len(q2), func(i, j int) { q2[i], q2[j] = q2[j], q2[i] })
		rng.Shuffle(len(a2), func(i, j int) { a2[i], a2[j] = a2[j], a2[i] })
		for i := range q2 {
			q2[i].Asked = slices.Clone(q2[i].Asked)
			slices.Reverse(q2[i].Asked)
		}
		if got, _ := json.Marshal(TrackQueries(q2, a2, facts, now, 0)); string(got) != string(want) {
			t.Fatalf("order changed the result:\n%s\nwant\n%s", got, want)
		}
	}
}

// questionnaireFacts: AE's node holds IN's feed up to seq 3, BE's up to
// 1; IN's clerk accepted BE's first answer (7), since replaced by 9, and
// ZA's answer, to a query it was not asked.
func questionnaireFacts() QueryFacts {
	return QueryFacts{Received: map[string]uint64{"AE": 3, "BE": 1},
		Accepted: map[protocol.EntryRef]Acceptance{{Feed: "BE", Seq: 7}: {At: at("2025-02-02"), Actor: "ana"},
			{Feed: "ZA", Seq: 3}: {At: at("2025-02-02"), Actor: "ana"}}}
}

// TestTrackQueriesAcknowledgedClosed: a receipt covering a query
// acknowledges it while it is within its time (overdue stays overdue,
// acknowledged or not); an accepted answer closes the questionnaire, but
// only while it is the partner's latest answer.
func TestTrackQueriesAcknowledgedClosed(t *testing.T) {
	qs, as := questionnaireCase()
	facts := questionnaireFacts()
	replies := func(got Questionnaires) map[string]PartnerReply {
		out := map[string]PartnerReply{}
		for _, q := range got.Queries {
			for _, r := range q.Replies {
				out[string(rune('0'+q.Ref.Seq))+"/"+r.Partner] = r
			}
		}
		return out
	}
	got := replies(TrackQueries(qs, as, facts, at("2025-04-05"), 3))
	if r := got["3/AE"]; r.Status != QueryAcknowledged || !r.Acknowledged {
		t.Errorf("3/AE, held by AE's node and not due: %+v", r)
	}
	if r := got["1/AE"]; r.Status != QueryOverdue || !r.Acknowledged {
		t.Errorf("1/AE, held and overdue: %+v", r)
	}
	if r := got["2/BE"]; r.Status != QueryOverdue || r.Acknowledged {
		t.Errorf("2/BE, beyond BE's receipt: %+v", r)
	}
	if r := got["1/BE"]; r.Status != "corrected" || r.Accepted != nil {
		t.Errorf("1/BE, accepted answer 7 replaced by 9: %+v", r)
	}
	facts.Accepted[protocol.EntryRef{Feed: "BE", Seq: 9}] = Acceptance{At: at("2025-03-01"), Actor: "ana"}
	all := TrackQueries(qs, as, facts, at("2025-04-05"), 3)
	if r := replies(all)["1/BE"]; r.Status != QueryClosed || r.Accepted == nil || r.Accepted.Actor != "ana" {
		t.Errorf("1/BE, latest answer accepted: %+v", r)
	}
	for _, p := range all.Partners {
		if p.Partner == "BE" && (p.Answered != 1 || p.Closed != 1 || p.RatePct != "50.00") {
			t.Errorf("BE's rate %+v", p)
		}
		if p.Partner == "AE" && (p.Answered != 0 || p.Pending != 1 || p.Overdue != 1) {
			t.Errorf("AE's rate, an acknowledged query is pending, not answered: %+v", p)
		}
	}
	if r := replies(TrackQueries(qs, as, QueryFacts{}, at("2025-04-05"), 3))["3/AE"]; r.Status != QuerySent || r.Acknowledged {
		t.Errorf("3/AE without a receipt: %+v", r)
	}
}
