package trade

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// held returns the records node code would hold after the load, as the
// node feeds them to its reconciliation State (node/findings.go): in
// publication order, each with its author's feed and the entry's sequence
// number in that feed, stamped with a publication time spread from start
// over span.
func held(t testing.TB, p *Plan, code string, start time.Time, span time.Duration) []reconcile.Record {
	t.Helper()
	seq := map[string]uint64{}
	var out []reconcile.Record
	for i, it := range p.Items {
		seq[it.Author]++
		if !it.HeldBy(code) {
			continue
		}
		body, err := protocol.ParseRecord(it.Type, it.Record)
		if err != nil {
			t.Fatalf("item %d (%s by %s): %v", i, it.Type, it.Author, err)
		}
		at := start.Add(span * time.Duration(i) / time.Duration(len(p.Items)))
		out = append(out, reconcile.Record{Ref: reconcile.RecordRef{Feed: it.Author, Seq: seq[it.Author]}, Time: at, Body: body})
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

// checkNode loads the records code holds, as they arrive (one Add each, in
// the given order) and evaluates the findings at Now and at Now+2h.
func checkNode(t *testing.T, p *Plan, code string, recs []reconcile.Record) Score {
	t.Helper()
	st := newState(t, code)
	for _, r := range recs {
		st.Add(r)
	}
	var total Score
	for _, at := range []time.Duration{0, time.Hour, 2 * time.Hour} {
		s := Compare(p.Expected, code, st.Findings(p.Options.Now.Add(at)))
		if !s.OK() {
			t.Errorf("%s at Now+%v:\n%s", code, at, s)
		}
		total.Merge(s)
	}
	return total
}

// checkPlan checks every node of p, with the records arriving in
// publication order and, in a second State, shuffled.
func checkPlan(t *testing.T, p *Plan) Score {
	t.Helper()
	var total Score
	for _, code := range p.Options.Participants {
		recs := held(t, p, code, p.Options.Now, 10*time.Minute)
		total.Merge(checkNode(t, p, code, recs))
		shuffled := slices.Clone(recs)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		checkNode(t, p, code, shuffled)
	}
	return total
}
