package reconcile

import (
	"sync"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// benchRecords are 1,000,000 certificates from IN to BE issued over 20
// years and their confirmations, all but the last 1,000, in arrival order
// (each confirmation a few records after its certificate).
var benchRecords = sync.OnceValue(func() []Record {
	g := newGenerator(1, "IN", "BE", "2006-01-01", 20*365)
	f := feeds{}
	benchCertificates := benchSize()
	out := make([]Record, 0, 2*benchCertificates)
	var pending []*protocol.Certificate
	for i := 1; i <= benchCertificates; i++ {
		c := g.cert(i)
		out = append(out, f.rec("IN", c))
		pending = append(pending, c)
		if len(pending) == 8 {
			for _, p := range pending {
				if n := p.Number; n <= lastConfirmed(benchCertificates) {
					out = append(out, f.rec("BE", confirm(p, g.received(p))))
				}
			}
			pending = pending[:0]
		}
	}
	return out
})

var benchNow = at("2027-01-01")

// BenchmarkReconcileFull loads 1,000,000 certificates with their
// confirmations into an empty State and lists the findings: a full
// reconciliation, as when a node rebuilds it from its store. "each" adds
// one record at a time; "batches" adds them 10,000 at a time (the size of a
// batch entry), as a bulk import or a rebuild would. Target (issue 4):
// under 5 s.
func BenchmarkReconcileFull(b *testing.B) {
	rs := benchRecords()
	for _, mode := range []struct {
		name  string
		batch int
	}{{"each", 1}, {"batches", protocol.MaxBatchItems}} {
		b.Run(mode.name, func(b *testing.B) {
			var n int
			cpu := cpuSeconds()
			for b.Loop() {
				s, err := NewState(DefaultConfig(), "IN", DefaultUnitValues())
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < len(rs); i += mode.batch {
					if mode.batch == 1 {
						s.Add(rs[i])
					} else {
						s.AddAll(rs[i:min(i+mode.batch, len(rs))])
					}
				}
				n = len(s.Findings(benchNow))
			}
			b.ReportMetric(float64(len(rs)), "records")
			b.ReportMetric(float64(n), "findings")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
			b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu_s/run")
		})
	}
}

var benchState struct {
	once sync.Once
	s    *State
	g    *generator
	f    feeds
}

// BenchmarkIncremental adds records one at a time to a State that holds
// 1,000,000 certificates and their confirmations: a new certificate, then
// its confirmation, alternately. Target (issue 4): under 1 ms per record.
func BenchmarkIncremental(b *testing.B) {
	st := &benchState
	st.once.Do(func() {
		s, err := NewState(DefaultConfig(), "IN", DefaultUnitValues())
		if err != nil {
			b.Fatal(err)
		}
		rs := benchRecords()
		s.AddAll(rs)
		s.Findings(benchNow)
		st.s, st.g, st.f = s, newGenerator(2, "IN", "BE", "2026-01-01", 365), feeds{"IN": rs[len(rs)-1].Ref.Seq + 10, "BE": uint64(len(rs))}
	})
	s := st.s
	next := make([]Record, 0, 2*b.N+2)
	for i := range b.N/2 + 1 {
		c := st.g.cert(2_000_000 + int(st.f["IN"]) + i)
		next = append(next, st.f.rec("IN", c), st.f.rec("BE", confirm(c, st.g.received(c))))
	}
	b.ResetTimer()
	cpu := cpuSeconds()
	for i := range b.N {
		s.Add(next[i])
	}
	b.StopTimer()
	b.ReportMetric((cpuSeconds()-cpu)*1e6/float64(b.N), "cpu_us/op")
	recs, _ := s.Len()
	b.ReportMetric(float64(recs), "state_records")
}
