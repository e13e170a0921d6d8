package reconcile

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// richRecords exercises every rule, with corrections, withdrawals, a batch
// and a correction of a batch item, so that arrival order matters if
// anything does.
func richRecords() []Record {
	all := scenario()
	var out []Record
	for _, r := range all {
		if r.Ref.Seq <= 300 || r.Ref.Feed == "BE" && r.Ref.Seq > 980 {
			out = append(out, r)
		}
	}
	f := feeds{"IN": 1000, "BE": 991}
	// A corrected certificate (IN's entry 5) and a withdrawn confirmation
	// (BE's entry 7).
	c5 := *all[8].Body.(*protocol.Certificate)
	c5.Parcels += 1
	c5.Supersedes = &protocol.Supersedes{Seq: 5}
	out = append(out, f.rec("IN", &c5))
	out = append(out, f.rec("BE", &protocol.Withdrawal{Version: 1, Supersedes: protocol.Supersedes{Seq: 7}, Reason: "wrong certificate"}))
	// A batch of three certificates, and a correction of its second item.
	g := newGenerator(99, "IN", "BE", "2026-02-01", 10)
	b := &protocol.Batch{Version: 1, Type: protocol.CertificateType}
	for i := range 3 {
		b.Records = append(b.Records, g.cert(5000+i))
	}
	batch := f.rec("IN", b)
	out = append(out, batch)
	fix := *b.Records[1].(*protocol.Certificate)
	fix.Destination = "AE"
	fix.Supersedes = &protocol.Supersedes{Seq: batch.Ref.Seq, Item: 1}
	out = append(out, f.rec("IN", &fix))
	// Notices.
	out = append(out,
		f.rec("BE", statusChange("KP-1", "RU", "suspended", "2026-01-15")),
		f.rec("BE", vigilance("KP-2", "AO", "Lunda Norte", "2026-01-10", "2026-01-20")),
		f.rec("IN", statusChange("KP-3", "RU", "readmitted", "2026-01-25")))
	// Statistics: a mirror discrepancy, a lagged shipment, a change, a gap.
	out = append(out,
		f.rec("IN", trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 10)),
		f.rec("BE", trade("BE", "2025-Q3", imp, "IN", "7102.31", "700.00", "70000.00", 7)),
		f.rec("IN", trade("IN", "2025-Q4", exp, "BE", "7102.31", "700.00", "70000.00", 7)),
		f.rec("BE", trade("BE", "2025-Q4", imp, "IN", "7102.31", "2000.00", "200000.00", 20)),
		f.rec("IN", trade("IN", "2026-Q1", exp, "BE", "7102.10", "5.00", "500.00", 1)),
		f.rec("BE", trade("BE", "2026-Q2", imp, "IN", "7102.10", "5.00", "500.00", 1)),
		f.rec("BW", production("BW", "2026-H1", "10.00", "1000.00")),
		f.rec("BW", newCert("BW", "BW0000001", "IN", "2026-02-01", line("7102.31", "100.00", "19200.00"))),
	)
	// Records written in another's name (R13), one claiming to supersede
	// a record of its feed.
	forged := newCert("BE", "BE0000001", "IN", "2026-02-01", line("7102.31", "100.00", "19200.00"))
	forged.Supersedes = &protocol.Supersedes{Seq: 3}
	out = append(out,
		f.rec("IN", forged),
		f.rec("BE", trade("IN", "2025-Q3", exp, "BE", "7102.31", "1000.00", "100000.00", 10)))

	// Trade with the EU reported at both levels: IN's imports from BE in
	// 2025-Q4, from "EU" in 2026-Q1 (a Union-level gap), and a Union row of
	// 2026-Q2 that IN withdraws.
	out = append(out,
		f.rec("IN", trade("IN", "2025-Q4", imp, "BE", "7102.21", "200.00", "2000.00", 2)),
		f.rec("BE", trade("BE", "2025-Q4", exp, "IN", "7102.21", "200.00", "2000.00", 2)),
		f.rec("BE", trade("BE", "2026-Q1", exp, "IN", "7102.21", "300.00", "3000.00", 3)),
		f.rec("IN", trade("IN", "2026-Q1", imp, "EU", "7102.21", "150.00", "1500.00", 2)))
	eu := f.rec("IN", trade("IN", "2026-Q2", imp, "EU", "7102.21", "50.00", "500.00", 1))
	out = append(out, eu, f.rec("IN", &protocol.Withdrawal{Version: 1, Supersedes: protocol.Supersedes{Seq: eu.Ref.Seq}, Reason: "reported twice"}))
	return out
}

func findingsJSON(t *testing.T, s *State, now time.Time) string {
	t.Helper()
	b, err := json.MarshalIndent(s.Findings(now), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeterministicInAnyOrder(t *testing.T) {
	records := richRecords()
	now := at("2026-09-30")
	s := newState(t, "IN")
	s.AddAll(records)
	want := findingsJSON(t, s, now)
	for _, rule := range []string{"R1", "R2", "R3", "R5", "R9", "R10", "R11", "R12", "R13"} {
		if len(ofRule(s.Findings(now), rule)) == 0 {
			t.Errorf("the rich record set raises no %s finding", rule)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for run := range 20 {
		shuffled := slices.Clone(records)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		s := newState(t, "IN")
		if run%2 == 1 {
			s.Findings(at("2026-02-01")) // a clock set early changes nothing in the end
		}
		if run%3 == 2 {
			for i := 0; i < len(shuffled); i += 37 { // in chunks, as batches arrive
				s.AddAll(shuffled[i:min(i+37, len(shuffled))])
			}
		} else {
			for _, r := range shuffled {
				s.Add(r)
			}
		}
		if got := findingsJSON(t, s, now); got != want {
			t.Fatalf("run %d: findings depend on arrival order\ngot  %.2000s\nwant %.2000s", run, got, want)
		}
	}
}

// TestAddReportsTheNetChange replays records in random order and checks
// that the changes Add and Advance report, applied to a copy, always give
// what Findings lists.
func TestAddReportsTheNetChange(t *testing.T) {
	for seed := range uint64(4) {
		for _, self := range []string{"IN", "BE"} {
			checkNetChange(t, seed, self)
		}
	}
}

func checkNetChange(t *testing.T, seed uint64, self string) {
	records := richRecords()
	rng := rand.New(rand.NewPCG(3, seed))
	rng.Shuffle(len(records), func(i, j int) { records[i], records[j] = records[j], records[i] })
	s := newState(t, self)
	mirror := map[string]Finding{}
	apply := func(ch []Finding, cl []string) {
		for _, f := range ch {
			mirror[f.ID] = f
		}
		for _, id := range cl {
			if _, ok := mirror[id]; !ok {
				t.Fatalf("cleared %s, which was never raised", id)
			}
			delete(mirror, id)
		}
	}
	check := func(now time.Time) {
		t.Helper()
		fs := s.Findings(now)
		if len(fs) != len(mirror) {
			t.Fatalf("Findings lists %d, the reported changes add up to %d", len(fs), len(mirror))
		}
		for _, f := range fs {
			m, ok := mirror[f.ID]
			if !ok || !m.equal(&f) {
				t.Fatalf("%s differs: listed %+v, reported %+v", f.ID, f, m)
			}
		}
	}
	clocks := []time.Time{at("2026-01-15"), at("2026-02-20"), at("2026-04-01"), at("2026-03-01"), at("2026-09-30")}
	apply(s.Advance(clocks[0]))
	for i, r := range records {
		apply(s.Add(r))
		if i%40 == 39 {
			now := clocks[(i/40)%len(clocks)]
			apply(s.Advance(now))
			check(now)
		}
	}
	apply(s.Advance(clocks[4]))
	check(clocks[4])
}
