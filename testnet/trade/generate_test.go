package trade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

var (
	five   = []string{"AE", "BE", "BW", "IN", "ZA"}
	twenty = []string{"AE", "AO", "AU", "BE", "BW", "CA", "CD", "CN", "IL", "IN", "JP", "LS", "NA", "RU", "SG", "SL", "TH", "US", "ZA", "ZW"}
)

func mesh(codes []string) [][2]string {
	var out [][2]string
	for i, a := range codes {
		for _, b := range codes[i+1:] {
			out = append(out, [2]string{a, b})
		}
	}
	return out
}

func star(centre string, codes []string) [][2]string {
	var out [][2]string
	for _, c := range codes {
		if c != centre {
			out = append(out, [2]string{centre, c})
		}
	}
	return out
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// topology is a set of nodes and links to test with.
type topology struct {
	name  string
	parts []string
	links [][2]string
}

var topologies = []topology{
	{"IN-BE", []string{"IN", "BE"}, [][2]string{{"IN", "BE"}}},
	{"mesh5", five, mesh(five)},
	{"star-BE", five, star("BE", five)},
}

// Times of the load: mid-quarter; a year boundary two days into a quarter;
// the last hour of a quarter (Now+2h is in the next one); the night a
// quarter's statistics fall due (1 June for Q1).
var nows = []string{"2026-05-14T10:00:00Z", "2026-01-02T09:00:00Z", "2026-03-31T23:00:00Z", "2026-05-31T23:30:00Z"}

// TestFindingsMatchTruth replays each node's records into a reconciliation
// State configured as the node's, and checks that the findings between Now
// and Now+2h are exactly the expected ones: for clean trade, only the
// mirror gaps of goods in transit at the statistics quarter's end.
func TestFindingsMatchTruth(t *testing.T) {
	anomalies := []int{0, 12, 40, 12}
	for ti, top := range topologies {
		for ni, now := range nows {
			n := anomalies[ni]
			o := Options{Participants: top.parts, Links: top.links, Seed: int64(1 + ti + 10*ni), Anomalies: n, Now: mustTime(now), Days: 30 + 60*(ni%2)}
			t.Run(fmt.Sprintf("%s/%s/anomalies=%d", top.name, now, n), func(t *testing.T) {
				p := mustGenerate(t, o)
				if n == 0 {
					checkOnlyTransit(t, p)
				}
				checkPlan(t, p)
			})
		}
	}
}

// checkOnlyTransit checks, from the records alone, that every finding
// clean trade expects is a mirror gap (R9) that goods in transit make:
// the exporter's row exceeds the importer's by exactly the certificates
// issued in the quarter whose goods were received after it, and the
// explanation must say the lag cannot be judged yet.
func checkOnlyTransit(t *testing.T, p *Plan) {
	t.Helper()
	transit := map[string]protocol.Carats{} // "A/B/quarter/hs" → carats received after the quarter
	rows := map[string]protocol.Carats{}    // "reporter/flow/partner/quarter/hs" → carats
	received := map[string]protocol.Date{}
	var certs []*protocol.Certificate
	for _, v := range parseAll(t, p) {
		switch r := v.(type) {
		case *protocol.Certificate:
			certs = append(certs, r)
		case *protocol.ImportConfirmation:
			received[r.Issuer+"/"+r.CertificateNumber] = r.Received
		case *protocol.TradeStatistics:
			rows[fmt.Sprintf("%s/%s/%s/%s/%s", r.Reporter, r.Flow, r.Partner, r.Period, r.HSCode)] = r.Carats
		}
	}
	for _, c := range certs {
		q := protocol.QuarterOf(c.Issued)
		if got, ok := received[c.Issuer+"/"+c.Number]; ok && protocol.QuarterOf(got) != q {
			for _, l := range c.Lines {
				transit[fmt.Sprintf("%s/%s/%s/%s", c.Issuer, c.Destination, q, l.HSCode)] += l.Carats
			}
		}
	}
	for _, e := range p.Expected {
		parts := strings.Split(e.ID, "/")
		if e.Rule != "R9" || len(parts) != 5 || !strings.Contains(e.Explains, "lag cannot be judged") {
			t.Errorf("clean trade expects %s (explaining %q): not a mirror gap of goods in transit", e.ID, e.Explains)
			continue
		}
		a, b, q, hs := parts[1], parts[2], parts[3], parts[4]
		gap := rows[strings.Join([]string{a, "export", b, q, hs}, "/")] - rows[strings.Join([]string{b, "import", a, q, hs}, "/")]
		if in := transit[strings.Join(parts[1:], "/")]; in == 0 || gap != in {
			t.Errorf("%s: exports exceed imports by %s ct, goods in transit %s ct", e.ID, gap, in)
		}
	}
	t.Logf("clean trade: %d mirror gaps of goods in transit", len(p.Expected))
}

// TestTwentyNodes checks a full mesh of twenty participants, and the first
// twenty node codes (the EU with three of its authorities among them) in
// a star.
func TestTwentyNodes(t *testing.T) {
	var first []string
	for _, p := range protocol.Participants() {
		if protocol.ValidCode(p.Code) && len(first) < 20 {
			first = append(first, p.Code)
		}
	}
	for _, o := range []Options{
		{Participants: twenty, Links: mesh(twenty), Days: 30, Seed: 7, Anomalies: 30, Now: mustTime(nows[0])},
		{Participants: first, Links: star("BE", first), Days: 30, Seed: 8, Anomalies: 24, Now: mustTime(nows[1])},
	} {
		t.Run(fmt.Sprint(len(o.Links), " links"), func(t *testing.T) { checkPlan(t, mustGenerate(t, o)) })
	}
}

// TestEUTopologies checks the EU with two of its member-state authorities,
// which issue the Union's certificates (the EU node then trades with
// nobody), and the EU alone, standing for the Union: either way every
// statistics comparison is at one level, the one the ground truth models.
func TestEUTopologies(t *testing.T) {
	members := []string{"AE", "BE", "DE", "EU", "IN"}
	alone := []string{"BW", "EU", "IN"}
	for i, now := range nows {
		for _, parts := range [][]string{members, alone} {
			o := Options{Participants: parts, Links: mesh(parts), Days: 30, Seed: int64(i), Anomalies: 12, Now: mustTime(now)}
			t.Run(fmt.Sprint(parts, " ", now), func(t *testing.T) { checkPlan(t, mustGenerate(t, o)) })
		}
	}
}

func mustGenerate(t testing.TB, o Options) *Plan {
	t.Helper()
	p, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEveryRuleInjected checks that twelve anomalies on the five-node mesh
// cover R1..R12, and that a topology without a producer covers every rule
// but R12 (production versus exports needs a producer).
func TestEveryRuleInjected(t *testing.T) {
	all := []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12"}
	for i, now := range nows {
		p := mustGenerate(t, Options{Participants: five, Links: mesh(five), Days: 30, Seed: int64(i), Anomalies: 12, Now: mustTime(now)})
		if got := rulesOf(p); !slices.Equal(got, all) {
			t.Errorf("mesh5 at %s: rules %v, want %v", now, got, all)
		}
		p = mustGenerate(t, Options{Participants: []string{"IN", "BE"}, Links: [][2]string{{"IN", "BE"}}, Days: 30, Seed: int64(i), Anomalies: 12, Now: mustTime(now)})
		if got := rulesOf(p); !slices.Equal(got, all[:11]) {
			t.Errorf("IN-BE at %s: rules %v, want %v", now, got, all[:11])
		}
	}
}

func rulesOf(p *Plan) []string {
	var out []string
	for _, e := range p.Expected {
		if !slices.Contains(out, e.Rule) {
			out = append(out, e.Rule)
		}
	}
	slices.SortFunc(out, compareRuleIDs)
	return out
}

// TestDeterministic checks that the same options give byte-identical plans
// and another seed another plan.
func TestDeterministic(t *testing.T) {
	for _, o := range []Options{
		{Participants: five, Links: mesh(five), Days: 30, Seed: 42, Anomalies: 20, Now: mustTime(nows[0])},
		{Participants: topologies[0].parts, Links: topologies[0].links, Days: 365, Seed: 42, Anomalies: 24, Now: mustTime(nows[1])},
	} {
		a, b := mustGenerate(t, o), mustGenerate(t, o)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) || !reflect.DeepEqual(a, b) {
			t.Fatalf("%d days: two plans of the same options differ", o.Days)
		}
		o.Seed++
		if c, _ := json.Marshal(mustGenerate(t, o)); bytes.Equal(ja, c) {
			t.Fatalf("%d days: plans of different seeds are identical", o.Days)
		}
	}
}

// TestItems checks every item: its body parses, its audience is partners
// of its author, steps never decrease, a certificate comes before what
// cites it, and certificate numbers are unique.
func TestItems(t *testing.T) {
	o := Options{Participants: five, Links: star("BE", five), Seed: 3, Anomalies: 24, Now: mustTime(nows[0])}
	p := mustGenerate(t, o)
	partners := map[string][]string{}
	for _, l := range p.Options.Links {
		partners[l[0]] = append(partners[l[0]], l[1])
		partners[l[1]] = append(partners[l[1]], l[0])
	}
	certAt := map[string]int{} // certificate key → step
	for i, it := range p.Items {
		v, err := protocol.ParseRecord(it.Type, it.Record)
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
		if len(it.To) == 0 || slices.Contains(it.To, it.Author) || slices.ContainsFunc(it.To, func(c string) bool { return !slices.Contains(partners[it.Author], c) }) {
			t.Errorf("item %d by %s: audience %v is not partners of the author", i, it.Author, it.To)
		}
		if i > 0 && it.Step < p.Items[i-1].Step {
			t.Errorf("item %d: step %d after step %d", i, it.Step, p.Items[i-1].Step)
		}
		checkOrder(t, i, it, v, certAt)
	}
}

func checkOrder(t *testing.T, i int, it Item, v any, certAt map[string]int) {
	t.Helper()
	switch r := v.(type) {
	case *protocol.Certificate:
		if _, dup := certAt[r.NaturalKey()]; dup {
			t.Errorf("item %d: certificate %s issued twice", i, r.Number)
		}
		certAt[r.NaturalKey()] = it.Step
	case *protocol.ImportConfirmation:
		if step, ok := certAt["certificate/"+r.Issuer+"/"+r.CertificateNumber]; ok && step >= it.Step {
			t.Errorf("item %d: confirmation of %s at the certificate's step", i, r.CertificateNumber)
		}
	case *protocol.PreNotification:
		if step, ok := certAt["certificate/"+r.Issuer+"/"+r.CertificateNumber]; !ok || step >= it.Step {
			t.Errorf("item %d: pre-notification of %s before its certificate", i, r.CertificateNumber)
		}
	}
}

// TestWindow checks the window: Days ending today, widened to 45 days and
// into the statistics quarter.
func TestWindow(t *testing.T) {
	cases := []struct {
		now        string
		days       int
		from, stat string
	}{
		{"2026-05-14T10:00:00Z", 90, "2026-02-14", "2026-Q1"},
		{"2026-05-14T10:00:00Z", 30, "2026-03-18", "2026-Q1"}, // 14 days of Q1
		{"2026-04-10T10:00:00Z", 30, "2026-02-25", "2026-Q1"}, // 45 days
		{"2026-01-02T10:00:00Z", 1, "2025-11-19", "2025-Q4"},
		{"2026-01-02T10:00:00Z", 365, "2025-01-03", "2025-Q4"},
		{"2026-05-14T10:00:00Z", MaxDays, "2024-05-15", "2026-Q1"},
	}
	for _, c := range cases {
		p := mustGenerate(t, Options{Participants: five, Now: mustTime(c.now), Days: c.days})
		cal := newCalendar(mustTime(c.now), c.days)
		if p.From.String() != c.from || cal.stat.String() != c.stat {
			t.Errorf("%s, %d days: from %s, statistics %s; want %s, %s", c.now, c.days, p.From, cal.stat, c.from, c.stat)
		}
	}
}

// TestRealism checks the shape of clean trade: volumes, origins, unit
// values near the reference, transit times, statistics of the previous
// quarter only.
func TestRealism(t *testing.T) {
	p := mustGenerate(t, Options{Participants: five, Links: mesh(five), Days: 30, Seed: 5, Now: mustTime(nows[0])})
	counts := map[string]int{}
	for _, it := range p.Items {
		counts[it.Type]++
		v, _ := protocol.ParseRecord(it.Type, it.Record)
		switch r := v.(type) {
		case *protocol.Certificate:
			checkCertificate(t, r)
		case *protocol.TradeStatistics:
			if r.Period.String() != "2026-Q1" {
				t.Errorf("statistics of %s", r.Period)
			}
		}
	}
	t.Logf("30 days × 5 nodes from %s: %d records %v", p.From, len(p.Items), counts)
	if n := len(p.Items); n < 300 || n > 5000 {
		t.Errorf("%d records, want a few hundred to a few thousand", n)
	}
	if counts[protocol.ImportConfirmationType] < counts[protocol.CertificateType]*3/4 {
		t.Errorf("%d confirmations of %d certificates", counts[protocol.ImportConfirmationType], counts[protocol.CertificateType])
	}
	o := p.Options
	o.Scale = 2
	if q := mustGenerate(t, o); len(q.Items) < len(p.Items)*3/2 {
		t.Errorf("scale 2 gives %d records, scale 1 %d", len(q.Items), len(p.Items))
	}
}

func checkCertificate(t *testing.T, c *protocol.Certificate) {
	t.Helper()
	producer := isProducer(c.Issuer)
	if o := c.Origin[0]; len(c.Origin) != 1 || !(o == originMixed || producer && o == c.Issuer || !producer && isProducer(o)) {
		t.Errorf("%s: origin %v from %s", c.Number, c.Origin, c.Issuer)
	}
	for _, l := range c.Lines {
		k := groupKey{c.Origin[0], l.HSCode, c.Issued.Year}
		ratio := float64(l.ValueUSD) / float64(l.Carats) / centre(k.origin, k.hs, k.year)
		if ratio < 0.92 || ratio > 1.09 {
			t.Errorf("%s %s: USD %.2f/ct is %.3f of the centre", c.Number, l.HSCode, float64(l.ValueUSD)/float64(l.Carats), ratio)
		}
	}
	if days := daysBetween(c.Issued, c.Expires); days < 45 {
		t.Errorf("%s valid %d days", c.Number, days)
	}
}

// TestOptions checks that bad options are refused with the option named.
func TestOptions(t *testing.T) {
	now := mustTime(nows[0])
	cases := []struct {
		o    Options
		want string
	}{
		{Options{Participants: five}, "now:"},
		{Options{Participants: five, Now: now, Days: MaxDays + 1}, "days:"},
		{Options{Participants: five, Now: now, Scale: -1}, "scale:"},
		{Options{Participants: five, Now: now, Anomalies: -1}, "anomalies:"},
		{Options{Now: now}, "participants:"},
		{Options{Participants: []string{"IN", "TW"}, Now: now}, "participants[1]:"},
		{Options{Participants: []string{"IN", "IN"}, Now: now}, "participants:"},
		{Options{Participants: five, Now: now, Links: [][2]string{{"IN", "US"}}}, "links[0]:"},
		{Options{Participants: five, Now: now, Links: [][2]string{{"IN", "IN"}}}, "links[0]:"},
		{Options{Participants: five, Now: now, Links: [][2]string{{"IN", "BE"}, {"BE", "IN"}}}, "links[1]:"},
		{Options{Participants: []string{"BE", "EU"}, Now: now, Links: [][2]string{{"BE", "EU"}}, Anomalies: 1}, "anomalies:"},
	}
	for _, c := range cases {
		_, err := Generate(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), ErrBadOptions.Error()) {
			t.Errorf("%+v: error %v, want one naming %q", c.o, err, c.want)
		}
	}
}
