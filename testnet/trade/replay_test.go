package trade

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// parseAll parses every item's record once, as every node would.
func parseAll(t testing.TB, p *Plan) []any {
	t.Helper()
	out := make([]any, len(p.Items))
	for i, it := range p.Items {
		v, err := protocol.ParseRecord(it.Type, it.Record)
		if err != nil {
			t.Fatalf("item %d (%s by %s): %v", i, it.Type, it.Author, err)
		}
		out[i] = v
	}
	return out
}

// held returns the records node code would hold after the load, as the
// node feeds them to its reconciliation State (node/findings.go): in
// publication order, each with its author's feed and the entry's sequence
// number in that feed, stamped with a publication time between Now-5min
// and Now+10min.
func held(p *Plan, bodies []any, code string) []reconcile.Record {
	seq := map[string]uint64{}
	start := p.Options.Now.Add(-5 * time.Minute)
	var out []reconcile.Record
	for i, it := range p.Items {
		seq[it.Author]++
		if !it.HeldBy(code) {
			continue
		}
		at := start.Add(15 * time.Minute * time.Duration(i) / time.Duration(len(p.Items)))
		out = append(out, reconcile.Record{Ref: reconcile.RecordRef{Feed: it.Author, Seq: seq[it.Author]}, Time: at, Body: bodies[i]})
	}
	return out
}

// newState returns the reconciliation State node code starts with.
func newState(t testing.TB, code string) *reconcile.State {
	t.Helper()
	st, err := reconcile.NewState(reconcile.DefaultConfig(), code, reconcile.DefaultUnitValues())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// checkFindings compares the findings of st at Now, Now+1h, Now+2h and two
// weeks later with the plan's.
func checkFindings(t *testing.T, p *Plan, code, how string, st *reconcile.State) Score {
	t.Helper()
	var total Score
	for _, at := range []time.Duration{0, time.Hour, 2 * time.Hour, 14 * 24 * time.Hour} {
		s := Compare(p.Expected, code, st.Findings(p.Options.Now.Add(at)))
		if !s.OK() {
			t.Errorf("%s (%s) at Now+%v:\n%s", code, how, at, s)
		}
		total.Merge(s)
	}
	return total
}

// checkPlan checks every node of p twice: with the records arriving one by
// one in publication order, as the node adds them live, and all at once in
// a shuffled order, as after a restart or a catch-up in another order.
func checkPlan(t *testing.T, p *Plan) Score {
	t.Helper()
	bodies := parseAll(t, p)
	var total Score
	for _, code := range p.Options.Participants {
		recs := held(p, bodies, code)
		live := newState(t, code)
		for _, r := range recs {
			live.Add(r)
		}
		live.SetParties(partnersOf(p, code))
		total.Merge(checkFindings(t, p, code, "live", live))
		checkCalendar(t, p, code, "live", live, 0)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
		bulk := newState(t, code)
		bulk.AddAll(slices.Clone(recs))
		bulk.SetParties(partnersOf(p, code))
		checkFindings(t, p, code, "bulk, shuffled", bulk)
		checkCalendar(t, p, code, "bulk, shuffled", bulk, 14*24*time.Hour)
	}
	return total
}

// partnersOf returns code's partners in p, as the node tracks them.
func partnersOf(p *Plan, code string) []string {
	var out []string
	for _, l := range p.Options.Links {
		if l[0] == code {
			out = append(out, l[1])
		} else if l[1] == code {
			out = append(out, l[0])
		}
	}
	return out
}

// checkCalendar compares the calendar of st at Now+at with the plan's.
func checkCalendar(t *testing.T, p *Plan, code, how string, st *reconcile.State, at time.Duration) {
	t.Helper()
	for _, prob := range CompareCalendar(p.Calendar, code, st.Calendar(p.Options.Now.Add(at))) {
		t.Errorf("%s at Now+%v: %s", how, at, prob)
	}
}
