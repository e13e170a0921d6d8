package reconcile

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestDigestTellsFindingsApart checks that a finding's digest changes
// with every field a read shows (apply keeps a finding whose digest is
// unchanged, so a field left out would change what is read without Add
// reporting it), and that copies of one finding sharing no memory digest
// alike.
func TestDigestTellsFindingsApart(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := newDigester()
	word := func() string { return strings.Repeat(string(rune('a'+rng.IntN(3))), rng.IntN(3)) }
	for i := range 300 {
		f := randomFinding(rng, word)
		if d.of(&f) != d.of(new(cloneDeep(f))) {
			t.Fatalf("finding %d: a copy digests differently: %+v", i, f)
		}
		for j, change := range findingChanges(word) {
			g := cloneDeep(f)
			change(&g)
			if findingsSame(&f, &g) {
				continue
			}
			if d.of(&f) == d.of(&g) {
				t.Fatalf("finding %d, change %d: %+v and %+v digest alike", i, j, f, g)
			}
		}
	}
}

func randomFinding(rng *rand.Rand, word func() string) Finding {
	f := Finding{ID: "R8/" + word(), Rule: "R8", RuleName: word(), Severity: severities[rng.IntN(3)], Partner: word(), Explanation: word()}
	if rng.IntN(3) > 0 {
		f.Since = time.Unix(rng.Int64N(3), rng.Int64N(2)).UTC()
	}
	if rng.IntN(4) > 0 {
		f.Records = []RecordRef{}
	}
	for range rng.IntN(3) {
		f.Records = append(f.Records, RecordRef{Feed: word(), Seq: rng.Uint64N(3), Item: rng.IntN(3), Batch: rng.IntN(2) == 0, Type: word(), Key: word()})
	}
	if rng.IntN(4) > 0 {
		f.Numbers = map[string]string{}
		for range rng.IntN(4) {
			f.Numbers[word()] = word()
		}
	}
	return f
}

// findingChanges are changes of one field each, some of which leave the
// finding as it was.
func findingChanges(word func() string) []func(f *Finding) {
	return []func(f *Finding){
		func(f *Finding) { f.Rule = "R9" },
		func(f *Finding) { f.RuleName += "x" },
		func(f *Finding) { f.Severity = Critical },
		func(f *Finding) { f.Partner += word() + "x" },
		func(f *Finding) { f.Explanation = word() },
		func(f *Finding) { f.Since = f.Since.Add(time.Nanosecond) },
		func(f *Finding) { f.Since = f.Since.In(time.FixedZone("X", 3600)) },
		func(f *Finding) { f.Since = time.Time{} },
		func(f *Finding) { f.Records = nil },
		func(f *Finding) { f.Records = append(f.Records, RecordRef{}) },
		func(f *Finding) { f.Numbers = nil },
		func(f *Finding) { f.Numbers = map[string]string{word(): word()} },
		func(f *Finding) { mutateRecord(f, func(r *RecordRef) { r.Feed += "x" }) },
		func(f *Finding) { mutateRecord(f, func(r *RecordRef) { r.Seq++ }) },
		func(f *Finding) { mutateRecord(f, func(r *RecordRef) { r.Item++ }) },
		func(f *Finding) { mutateRecord(f, func(r *RecordRef) { r.Batch = !r.Batch }) },
		func(f *Finding) { mutateRecord(f, func(r *RecordRef) { r.Type += "x" }) },
		func(f *Finding) { mutateRecord(f, func(r *RecordRef) { r.Key += "x" }) },
		func(f *Finding) {
			for k, v := range f.Numbers {
				f.Numbers[k] = v + "x"
			}
		},
		func(f *Finding) {
			for k, v := range f.Numbers {
				delete(f.Numbers, k)
				f.Numbers[k+"x"] = v
			}
		},
	}
}

func mutateRecord(f *Finding, m func(r *RecordRef)) {
	if len(f.Records) > 0 {
		m(&f.Records[len(f.Records)-1])
	}
}

// cloneDeep returns a copy of f that shares no memory with it.
func cloneDeep(f Finding) Finding {
	g := f
	g.Explanation = strings.Clone(f.Explanation)
	if f.Records != nil {
		g.Records = append([]RecordRef{}, f.Records...)
	}
	if f.Numbers != nil {
		g.Numbers = make(map[string]string, len(f.Numbers))
		for k, v := range f.Numbers {
			g.Numbers[strings.Clone(k)] = strings.Clone(v)
		}
	}
	return g
}

// findingsSame reports whether f and g are the same field for field, as
// a read would show them: Since's zone, nil and empty told apart.
func findingsSame(f, g *Finding) bool {
	name1, off1 := f.Since.Zone()
	name2, off2 := g.Since.Zone()
	return f.equal(g) && f.Rule == g.Rule && f.RuleName == g.RuleName && name1 == name2 && off1 == off2 &&
		(f.Records == nil) == (g.Records == nil) && (f.Numbers == nil) == (g.Numbers == nil)
}
