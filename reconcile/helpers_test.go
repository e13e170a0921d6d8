package reconcile

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Builders of records for the tests. Amounts are written as decimals.

func day(s string) protocol.Date {
	d, err := protocol.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func at(s string) time.Time { return day(s).Time() }

func quarter(s string) protocol.Quarter {
	q, err := protocol.ParseQuarter(s)
	if err != nil {
		panic(err)
	}
	return q
}

func half(s string) protocol.Half {
	h, err := protocol.ParseHalf(s)
	if err != nil {
		panic(err)
	}
	return h
}

func ct(s string) protocol.Carats {
	c, err := protocol.ParseCarats(s)
	if err != nil {
		panic(err)
	}
	return c
}

func usd(s string) protocol.USD {
	u, err := protocol.ParseUSD(s)
	if err != nil {
		panic(err)
	}
	return u
}

func line(hs, carats, value string) protocol.CertificateLine {
	return protocol.CertificateLine{HSCode: hs, Carats: ct(carats), ValueUSD: usd(value)}
}

var (
	exporterIN = protocol.Trader{Name: "Surat Rough Exports Pvt Ltd", Licence: "IN-KP-0042", Country: "IN"}
	importerBE = protocol.Trader{Name: "Antwerp Diamond Traders NV", Licence: "BE-0457.123.456", Country: "BE"}
)

// newCert returns a certificate valid for 60 days with lines; totals are
// the sums of the lines.
func newCert(issuer, number, dest, issued string, lines ...protocol.CertificateLine) *protocol.Certificate {
	if len(lines) == 0 {
		lines = []protocol.CertificateLine{line("7102.31", "1520.50", "228075.00")} // USD 150/ct
	}
	c := &protocol.Certificate{
		Version: 1, Number: number, Issuer: issuer, IssuingAuthority: issuer + " KP authority",
		Issued: day(issued), Expires: protocol.DateOf(at(issued).AddDate(0, 0, 60)),
		Exporter: exporterIN, Importer: importerBE, Destination: dest, Origin: []string{"BW"}, Parcels: 3, Lines: lines,
	}
	for _, l := range lines {
		c.TotalCarats += l.Carats
		c.TotalValueUSD += l.ValueUSD
	}
	return c
}

// confirm returns the confirmation that matches c, received on received.
func confirm(c *protocol.Certificate, received string) *protocol.ImportConfirmation {
	return &protocol.ImportConfirmation{
		Version: 1, CertificateNumber: c.Number, Issuer: c.Issuer, ParcelsReceived: c.Parcels,
		CaratsReceived: c.TotalCarats, Importer: c.Importer, Exporter: c.Exporter, Received: day(received),
		SealsIntact: true, ContentsMatch: true,
	}
}

func preNotify(c *protocol.Certificate, shipped string) *protocol.PreNotification {
	return &protocol.PreNotification{
		Version: 1, CertificateNumber: c.Number, Issuer: c.Issuer, Carats: c.TotalCarats, ValueUSD: c.TotalValueUSD,
		Origin: c.Origin, Exporter: c.Exporter, Importer: c.Importer, Parcels: c.Parcels, Shipped: day(shipped),
	}
}

func trade(reporter, period, flow, partner, hs, carats, value string, certs int) *protocol.TradeStatistics {
	return &protocol.TradeStatistics{
		Version: 1, Reporter: reporter, Period: quarter(period), Flow: flow, Partner: partner, HSCode: hs,
		Carats: ct(carats), ValueUSD: usd(value), Certificates: certs,
	}
}

func production(reporter, period, carats, value string) *protocol.ProductionStatistics {
	return &protocol.ProductionStatistics{Version: 1, Reporter: reporter, Period: half(period), Carats: ct(carats), ValueUSD: usd(value)}
}

func statusChange(ref, participant, status, effective string) *protocol.Notice {
	return &protocol.Notice{
		Version: 1, Kind: protocol.NoticeParticipantStatusChange, Reference: ref, Issued: day(effective), Title: status,
		ParticipantStatusChange: &protocol.ParticipantStatusChange{Participant: participant, Status: status, Effective: day(effective)},
	}
}

func vigilance(ref, origin, area, from, to string) *protocol.Notice {
	v := &protocol.EnhancedVigilance{Origin: origin, Area: area, From: day(from), Measures: []string{"inspect_shipments"}}
	if to != "" {
		v.To = day(to)
	}
	return &protocol.Notice{Version: 1, Kind: protocol.NoticeEnhancedVigilance, Reference: ref, Issued: day(from), Title: "vigilance", EnhancedVigilance: v}
}

// feeds hands out positions in each author's feed.
type feeds map[string]uint64

func (f feeds) rec(author string, body any) Record {
	f[author]++
	return Record{Ref: RecordRef{Feed: author, Seq: f[author]}, Body: body}
}

// timed is rec with an entry time.
func (f feeds) timed(author string, when time.Time, body any) Record {
	r := f.rec(author, body)
	r.Time = when
	return r
}

func newState(t testing.TB, self string, mods ...func(*Config)) *State {
	t.Helper()
	cfg := DefaultConfig()
	for _, m := range mods {
		m(&cfg)
	}
	s, err := NewState(cfg, self, DefaultUnitValues())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func addAll(s *State, rs ...Record) {
	for _, r := range rs {
		s.Add(r)
	}
}

func ids(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// ofRule returns the findings of rule id ("R1").
func ofRule(fs []Finding, id string) []Finding {
	return Select(fs, Query{Rule: id})
}

func wantIDs(t testing.TB, fs []Finding, want ...string) {
	t.Helper()
	got := ids(fs)
	if want == nil {
		want = []string{}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v\n%s", got, want, describe(fs))
	}
}

func describe(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.ID + " [" + string(f.Severity) + "] " + f.Explanation + "\n")
	}
	return b.String()
}

func find(t testing.TB, fs []Finding, id string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %s in\n%s", id, describe(fs))
	return Finding{}
}

func parseAnomalyQuery(body []byte) (*protocol.AnomalyQuery, error) {
	return protocol.ParseAnomalyQuery(body)
}
