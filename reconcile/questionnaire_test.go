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
	got := TrackQueries(qs, as, at("2025-04-05"), 3)
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
	if r := TrackQueries(qs, as, at("2025-04-03"), 3).Queries[1].Replies[0]; r.Status != QuerySent {
		t.Errorf("within the grace: %+v", r)
	}
	if r := TrackQueries(qs, as, at("2025-04-04"), 3).Queries[1].Replies[0]; r.Status != QueryOverdue || r.DaysOverdue != 3 {
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
	want, _ := json.Marshal(TrackQueries(qs, as, now, 0))
	rng := rand.New(rand.NewPCG(3, 19))
	for range 20 {
		q2, a2 := slices.Clone(qs), slices.Clone(as)
		rng.Shuffle(len(q2), func(i, j int) { q2[i], q2[j] = q2[j], q2[i] })
		rng.Shuffle(len(a2), func(i, j int) { a2[i], a2[j] = a2[j], a2[i] })
		for i := range q2 {
			q2[i].Asked = slices.Clone(q2[i].Asked)
			slices.Reverse(q2[i].Asked)
		}
		if got, _ := json.Marshal(TrackQueries(q2, a2, now, 0)); string(got) != string(want) {
			t.Fatalf("order changed the result:\n%s\nwant\n%s", got, want)
		}
	}
}
