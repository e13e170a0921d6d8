package reconcile

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// importYear returns n certificates shaped as BenchmarkImportMemory's file
// (cmd/kpnode): a year of IN's two-line certificates to BE, origin MIXED,
// a gem line and an industrial one, traders with a licence each, none
// confirmed; each a record of IN's feed, 10,000 to a batch entry as an
// import stores them. Every record is parsed anew, with strings of its
// own, as a decoded entry is.
func importYear(n int) []Record {
	var out []Record
	var batch *protocol.Batch
	for i := 1; i <= n; i++ {
		if batch == nil || len(batch.Records) == protocol.MaxBatchItems {
			batch = &protocol.Batch{Version: 1}
			out = append(out, Record{Ref: RecordRef{Feed: "IN", Seq: uint64(len(out) + 1)}, Time: at("2026-06-01"), Body: batch})
		}
		batch.Records = append(batch.Records, importCert(i))
	}
	return out
}

func importCert(i int) *protocol.Certificate {
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%365)
	c := &protocol.Certificate{
		Version: 1, Number: fmt.Sprintf("IN%07d", i), Issuer: strings.Clone("IN"), IssuingAuthority: strings.Clone("KP Authority of India"),
		Issued: protocol.DateOf(issued), Expires: protocol.DateOf(issued.AddDate(0, 2, 0)),
		Exporter:    protocol.Trader{Name: strings.Clone("Example Exports Pvt Ltd"), Licence: fmt.Sprintf("GJEPC/KP/2026/%05d", i%90000), Country: strings.Clone("IN")},
		Importer:    protocol.Trader{Name: strings.Clone("Example Diamonds BV"), Licence: fmt.Sprintf("FOD-DIA-%06d", i), Country: strings.Clone("BE")},
		Destination: strings.Clone("BE"), Origin: []string{strings.Clone("MIXED")}, Parcels: 1 + i%7,
		Lines: []protocol.CertificateLine{
			{HSCode: strings.Clone("7102.31"), Carats: protocol.Carats((100+i%3000)*100 + 35), ValueUSD: protocol.USD((15000+i%400000)*100 + 50)},
			{HSCode: strings.Clone("7102.21"), Carats: protocol.Carats((10 + i%500) * 100), ValueUSD: protocol.USD((100 + i%5000) * 100)},
		},
	}
	for _, l := range c.Lines {
		c.TotalCarats += l.Carats
		c.TotalValueUSD += l.ValueUSD
	}
	return c
}

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkStateMemory loads 100,000 certificates shaped as an import's
// (importYear) into an empty State, lists its findings, and reports the
// live heap the State holds per certificate (state_B/cert: the live heap
// after a collection, with the State and its records reachable, less the
// live heap before the records were made), so the figure does not depend
// on the machine's load. The import-memory target of issue 14 (a daemon
// under 300 MB after importing 100,000 certificates) depends on it.
func BenchmarkStateMemory(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 5_000
	}
	var perCert, findings float64
	for b.Loop() {
		before := liveHeap()
		rs := importYear(n)
		s, err := NewState(DefaultConfig(), "IN", DefaultUnitValues())
		if err != nil {
			b.Fatal(err)
		}
		s.AddAll(rs)
		findings = float64(len(s.Findings(at("2026-12-07"))))
		rs = nil
		perCert = float64(liveHeap()-before) / float64(n)
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perCert, "state_B/cert")
	b.ReportMetric(findings, "findings")
}
