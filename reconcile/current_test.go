package reconcile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// The rule of current records (current.go, docs/records.md §11), checked
// against a plain reading of its text for random feeds of originals,
// corrections (of originals, of corrections, twice of one record, of batch
// items, naming later seqs, other types, missing items, withdrawals) and
// withdrawals, delivered in random orders: reconciliation's live records
// and Chains must both be what the text says, whatever the order.

// chainFeeds are the feeds of the generated records; BE's and IN's
// positions overlap, so a supersedes may name a record that only the
// other feed holds.
var chainFeeds = []string{"IN", "BE"}

// specCurrent reads the rule as written: in feed order, a record that
// supersedes nothing starts a chain; a record or withdrawal whose
// supersedes names a lower seq of its feed holding a record in a chain
// (of its type; for a withdrawal, any record) joins it; the chain's
// latest entry decides.
func specCurrent(rs []Record) map[Pos]bool {
	type chain struct{ latest, withdrawn Pos }
	sorted := slices.Clone(flatten(rs))
	slices.SortFunc(sorted, func(a, b Record) int { return posOfRecord(a).compare(posOfRecord(b)) })
	in, typ := map[Pos]*chain{}, map[Pos]string{}
	var chains []*chain
	for _, r := range sorted {
		p := posOfRecord(r)
		t, sup := typeAndSup(r.Body)
		typ[p] = t
		if sup == nil {
			c := &chain{latest: p}
			chains, in[p] = append(chains, c), c
			continue
		}
		target := Pos{p.Feed, sup.Seq, sup.Item}
		c := in[target]
		switch {
		case c == nil || sup.Seq >= p.Seq:
		case t == protocol.WithdrawalType:
			c.withdrawn = p
		case typ[target] == t:
			c.latest, in[p] = p, c
		}
	}
	out := map[Pos]bool{}
	for _, c := range chains {
		if c.withdrawn.compare(c.latest) < 0 {
			out[c.latest] = true
		}
	}
	return out
}

// flatten returns rs with batches expanded into their items.
func flatten(rs []Record) []Record {
	var out []Record
	for _, r := range rs {
		b, ok := r.Body.(*protocol.Batch)
		if !ok {
			out = append(out, r)
			continue
		}
		for i, item := range b.Records {
			one := r
			one.Ref.Item, one.Body = i, item
			out = append(out, one)
		}
	}
	return out
}

func posOfRecord(r Record) Pos { return Pos{r.Ref.Feed, r.Ref.Seq, r.Ref.Item} }

func typeAndSup(body any) (string, *protocol.Supersedes) {
	r := body.(protocol.Record)
	return r.TypeName(), r.Replaces()
}

// chainGen generates the entries of one feed.
type chainGen struct {
	rng   *rand.Rand
	feed  string
	seq   uint64
	held  []Pos // positions of records written so far, withdrawals included
	n     int
	other string
}

func (g *chainGen) cert(sup *protocol.Supersedes) *protocol.Certificate {
	g.n++
	c := newCert(g.feed, fmt.Sprintf("%s%07d", g.feed, g.n), g.other, "2025-02-10", line("7102.31", fmt.Sprintf("%d.00", 10+g.n), "5000.00"))
	c.Supersedes = sup
	return c
}

func (g *chainGen) stats(sup *protocol.Supersedes) *protocol.TradeStatistics {
	g.n++
	t := trade(g.feed, "2025-Q1", exp, g.other, "7102.31", fmt.Sprintf("%d.00", 10+g.n), "5000.00", 1)
	t.Supersedes = sup
	return t
}

func (g *chainGen) body(sup *protocol.Supersedes) any {
	if g.rng.IntN(4) == 0 {
		return g.stats(sup)
	}
	return g.cert(sup)
}

// target picks what a correction or withdrawal names: mostly an earlier
// record of the feed, else a later seq, its own seq, a missing item, or a
// position only the other feed may hold.
func (g *chainGen) target() protocol.Supersedes {
	switch k := g.rng.IntN(10); {
	case k < 7 && len(g.held) > 0:
		p := g.held[g.rng.IntN(len(g.held))]
		return protocol.Supersedes{Seq: p.Seq, Item: p.Item}
	case k == 7:
		return protocol.Supersedes{Seq: g.seq + uint64(g.rng.IntN(3))}
	case k == 8:
		return protocol.Supersedes{Seq: uint64(g.rng.IntN(int(g.seq) + 1)), Item: 5}
	}
	return protocol.Supersedes{Seq: uint64(1 + g.rng.IntN(int(g.seq)+2))}
}

// entry generates the next entry of the feed.
func (g *chainGen) entry() Record {
	g.seq++
	r := Record{Ref: RecordRef{Feed: g.feed, Seq: g.seq}}
	switch k := g.rng.IntN(10); {
	case k < 3:
		r.Body = g.body(nil)
	case k < 7:
		sup := g.target()
		r.Body = g.body(&sup)
	case k < 8:
		r.Body = &protocol.Withdrawal{Version: 1, Supersedes: g.target(), Reason: "test"}
	default:
		r.Body = g.batch()
	}
	for i := range max(1, batchLen(r.Body)) {
		g.held = append(g.held, Pos{g.feed, g.seq, i})
	}
	return r
}

// batch generates a batch of certificates, some of which correct.
func (g *chainGen) batch() *protocol.Batch {
	b := &protocol.Batch{Version: 1, Type: protocol.CertificateType}
	for range 1 + g.rng.IntN(3) {
		var sup *protocol.Supersedes
		if g.rng.IntN(2) == 0 {
			t := g.target()
			sup = &t
		}
		b.Records = append(b.Records, g.cert(sup))
	}
	return b
}

func batchLen(body any) int {
	if b, ok := body.(*protocol.Batch); ok {
		return len(b.Records)
	}
	return 0
}

// chainRecords generates the feeds of one seed.
func chainRecords(seed uint64) []Record {
	rng := rand.New(rand.NewPCG(seed, 14))
	var out []Record
	for i, feed := range chainFeeds {
		g := &chainGen{rng: rng, feed: feed, other: chainFeeds[1-i]}
		for range 5 + rng.IntN(20) {
			out = append(out, g.entry())
		}
	}
	return out
}

// livePositions returns the positions of the records the rules read.
func livePositions(s *State) map[Pos]bool {
	out := map[Pos]bool{}
	s.chains.Each(func(p Pos, _ *rec) { out[p] = true })
	return out
}

func diffPos(got, want map[Pos]bool) string {
	var d []string
	for p := range got {
		if !want[p] {
			d = append(d, fmt.Sprintf("+%s/%d/%d", p.Feed, p.Seq, p.Item))
		}
	}
	for p := range want {
		if !got[p] {
			d = append(d, fmt.Sprintf("-%s/%d/%d", p.Feed, p.Seq, p.Item))
		}
	}
	slices.Sort(d)
	return fmt.Sprint(d)
}

// describeRecords lists records for a failure message.
func describeRecords(rs []Record) string {
	out := ""
	for _, r := range flatten(rs) {
		t, sup := typeAndSup(r.Body)
		out += fmt.Sprintf("\n  %s/%d/%d %s", r.Ref.Feed, r.Ref.Seq, r.Ref.Item, t)
		if sup != nil {
			out += fmt.Sprintf(" supersedes %d/%d", sup.Seq, sup.Item)
		}
	}
	return out
}

// TestCurrentRecordsAnyOrder: for random feeds delivered in random orders,
// one record at a time, in chunks, and with records delivered twice,
// the records reconciliation counts are exactly the current ones.
func TestCurrentRecordsAnyOrder(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 60
	}
	for seed := range uint64(seeds) {
		rs := chainRecords(seed)
		want := specCurrent(rs)
		rng := rand.New(rand.NewPCG(seed, 41))
		for round := range 4 {
			order := slices.Clone(rs)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			if round == 3 {
				order = append(order, order[:len(order)/2]...) // delivered again
			}
			s := newState(t, "IN")
			deliver(s, order, round)
			if got := livePositions(s); diffPos(got, want) != "[]" {
				t.Fatalf("seed %d, round %d: live records differ from the rule: %s\nrecords:%s", seed, round, diffPos(got, want), describeRecords(rs))
			}
			if n, _ := s.Len(); n != len(want) {
				t.Fatalf("seed %d, round %d: Len %d, want %d", seed, round, n, len(want))
			}
		}
	}
}

// deliver adds order to s one at a time (even rounds) or in chunks.
func deliver(s *State, order []Record, round int) {
	if round%2 == 0 {
		addAll(s, order...)
		return
	}
	for i := 0; i < len(order); i += 1 + round {
		s.AddAll(order[i:min(i+1+round, len(order))])
	}
}

// TestChainsAnyOrder: Chains fed in any order answers Current,
// Withdrawal and InChain as the rule says.
func TestChainsAnyOrder(t *testing.T) {
	for seed := range uint64(200) {
		rs := flatten(chainRecords(seed))
		want := specCurrent(rs)
		rng := rand.New(rand.NewPCG(seed, 7))
		var ref map[Pos]string
		for range 3 {
			rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
			c := NewChains[int](nil)
			for i, r := range rs {
				typ, sup := typeAndSup(r.Body)
				c.Put(posOfRecord(r), typ, sup, i)
			}
			got := map[Pos]bool{}
			c.Each(func(p Pos, _ int) { got[p] = true })
			if diffPos(got, want) != "[]" {
				t.Fatalf("seed %d: current records differ from the rule: %s\nrecords:%s", seed, diffPos(got, want), describeRecords(rs))
			}
			answers := chainAnswers(c, rs)
			if ref == nil {
				ref = answers
			} else if fmt.Sprint(answers) != fmt.Sprint(ref) {
				t.Fatalf("seed %d: answers depend on the order of arrival", seed)
			}
		}
	}
}

// chainAnswers asks c about every position of rs.
func chainAnswers(c *Chains[int], rs []Record) map[Pos]string {
	out := map[Pos]string{}
	for _, r := range rs {
		p := posOfRecord(r)
		cur, _, ok := c.Current(p)
		w, wok := c.Withdrawal(p)
		out[p] = fmt.Sprint(c.InChain(p), cur, ok, w, wok)
	}
	return out
}

// TestChainsReplaceAndDelete: a record put again at its position with
// another body, or deleted, leaves what the records then held decide.
func TestChainsReplaceAndDelete(t *testing.T) {
	for seed := range uint64(100) {
		rs := flatten(chainRecords(seed))
		rng := rand.New(rand.NewPCG(seed, 9))
		c := NewChains[int](nil)
		for i, r := range rs {
			typ, sup := typeAndSup(r.Body)
			c.Put(posOfRecord(r), typ, sup, i)
		}
		// Delete a few, then put them back: the same as never deleted.
		gone := rng.Perm(len(rs))[:len(rs)/4]
		for _, i := range gone {
			c.Delete(posOfRecord(rs[i]))
		}
		kept := slices.DeleteFunc(slices.Clone(rs), func(r Record) bool {
			return slices.ContainsFunc(gone, func(i int) bool { return posOfRecord(rs[i]) == posOfRecord(r) })
		})
		if got := eachPos(c); diffPos(got, specCurrent(kept)) != "[]" {
			t.Fatalf("seed %d: after deletes: %s", seed, diffPos(got, specCurrent(kept)))
		}
		for _, i := range gone {
			typ, sup := typeAndSup(rs[i].Body)
			c.Put(posOfRecord(rs[i]), typ, sup, i)
		}
		if got := eachPos(c); diffPos(got, specCurrent(rs)) != "[]" {
			t.Fatalf("seed %d: after putting back: %s", seed, diffPos(got, specCurrent(rs)))
		}
		if c.Len() != len(specCurrent(rs)) {
			t.Fatalf("seed %d: Len %d, want %d", seed, c.Len(), len(specCurrent(rs)))
		}
	}
}

func eachPos(c *Chains[int]) map[Pos]bool {
	out := map[Pos]bool{}
	c.Each(func(p Pos, _ int) { out[p] = true })
	return out
}

// TestCurrentRecordsCases are the cases reported against the rules
// reconciliation used before: a record corrected twice counts as its
// later correction only; a supersedes naming a later seq or a record of
// another type applies nowhere.
func TestCurrentRecordsCases(t *testing.T) {
	sup := func(seq uint64) *protocol.Supersedes { return &protocol.Supersedes{Seq: seq} }
	g := &chainGen{feed: "IN", other: "BE"}
	cases := []struct {
		name string
		recs []Record
		want []uint64 // seqs of IN's current records
	}{
		{"corrected twice", []Record{inRec(1, g.cert(nil)), inRec(2, g.cert(sup(1))), inRec(3, g.cert(sup(1)))}, []uint64{3}},
		{"correction of a correction", []Record{inRec(1, g.cert(nil)), inRec(2, g.cert(sup(1))), inRec(3, g.cert(sup(2)))}, []uint64{3}},
		{"names a later seq", []Record{inRec(1, g.cert(sup(2))), inRec(2, g.cert(nil))}, []uint64{2}},
		{"names another type", []Record{inRec(1, g.stats(nil)), inRec(2, g.cert(sup(1)))}, []uint64{1}},
		{"names nothing", []Record{inRec(2, g.cert(sup(1)))}, nil},
		{"withdrawn, then corrected", []Record{inRec(1, g.cert(nil)), inRec(2, &protocol.Withdrawal{Version: 1, Supersedes: *sup(1), Reason: "x"}), inRec(3, g.cert(sup(1)))}, []uint64{3}},
		{"correction withdrawn", []Record{inRec(1, g.cert(nil)), inRec(2, g.cert(sup(1))), inRec(3, &protocol.Withdrawal{Version: 1, Supersedes: *sup(2), Reason: "x"})}, nil},
	}
	for _, tc := range cases {
		for _, order := range [][]Record{tc.recs, reversed(tc.recs)} {
			s := newState(t, "IN")
			addAll(s, order...)
			var got []uint64
			for p := range livePositions(s) {
				got = append(got, p.Seq)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: current %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

func inRec(seq uint64, body any) Record {
	return Record{Ref: RecordRef{Feed: "IN", Seq: seq}, Body: body}
}

func reversed(rs []Record) []Record {
	out := slices.Clone(rs)
	slices.Reverse(out)
	return out
}
