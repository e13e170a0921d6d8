package trade

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// Notices of the clean trade name only certificates, origins and
// participants that no certificate involves, so that they raise nothing:
// reconciliation reads status changes and enhanced-vigilance notices (R5)
// and no other kind.

// foreignIssuers are participants whose forged or suspicious certificates
// the notices mention.
var foreignIssuers = []string{"LB", "TG", "GN", "CM", "GH", "LR"}

// notices returns each node's notices for its partners: a few reports of
// fraudulent certificates and suspicious shipments, a lifted enhanced
// vigilance on Côte d'Ivoire and Venezuela's past suspension.
func (g *generator) notices() []Item {
	var out []Item
	var authors []string
	for _, p := range g.opt.Participants {
		if len(g.nodes[p].partners) == 0 {
			continue
		}
		authors = append(authors, p)
		n := min(g.poisson(float64(daysBetween(g.cal.from, g.cal.today)+1)/60), 2)
		for range n {
			if g.rng.IntN(2) == 0 {
				out = append(out, g.fraudNotice(p, pick(g, foreignIssuers), "", g.between(g.cal.from, g.cal.today)))
			} else {
				out = append(out, g.suspiciousNotice(p))
			}
		}
	}
	if len(authors) > 0 {
		out = append(out, g.historicVigilance(authors[0]))
		if !slices.Contains(g.opt.Participants, "VE") { // a node would be ineligible
			out = append(out, g.historicStatus(authors[len(authors)-1]))
		}
	}
	return out
}

// noticeItem addresses a notice to every partner of its author.
func (g *generator) noticeItem(author string, n *protocol.Notice) Item {
	return Item{Author: author, To: slices.Clone(g.nodes[author].partners), Type: protocol.NoticeType, Step: stepReports, body: n}
}

// reference returns the author's next notice reference, "BE-N-2026-0003".
func (g *generator) reference(author string, issued protocol.Date) string {
	g.noticeSeq++
	return fmt.Sprintf("%s-N-%d-%04d", author, issued.Year, g.noticeSeq)
}

// fraudNotice reports a forged certificate of issuer detected by author;
// number "" invents one.
func (g *generator) fraudNotice(author, issuer, number string, day protocol.Date) Item {
	if number == "" {
		number = certNumber(issuer, 9_000_000+g.rng.IntN(999_999))
	}
	scan := number + "-scan.pdf"
	sum := sha256.Sum256([]byte(scan))
	n := &protocol.Notice{
		Version: 1, Kind: protocol.NoticeFraudulentCertificate, Reference: g.reference(author, day), Issued: day,
		Title: "Forged " + issuer + " certificate presented at import",
		FraudulentCertificate: &protocol.FraudulentCertificate{
			DetectedBy: author, PurportedIssuer: issuer, CertificateNumbers: []string{number},
			Defects:         []string{"number_out_of_range", "layout_unlike_specimen"},
			Evidence:        []protocol.Attachment{{Name: scan, SHA256: hex.EncodeToString(sum[:])}},
			ActionRequested: "Please confirm whether this number was issued and alert your exporters.",
		},
	}
	return g.noticeItem(author, n)
}

// suspiciousNotice reports a seizure at author's border.
func (g *generator) suspiciousNotice(author string) Item {
	day := g.between(g.cal.from, g.cal.today)
	carats := protocol.Carats(50_00 + g.rng.IntN(2000_00))
	n := &protocol.Notice{
		Version: 1, Kind: protocol.NoticeSuspiciousShipment, Reference: g.reference(author, day), Issued: day,
		Title: "Parcel held at import: declared value far below the origin's average",
		SuspiciousShipment: &protocol.SuspiciousShipment{
			Shipment: protocol.Shipment{Carats: carats, ValueUSD: protocol.USD(int64(carats) * 3), Parcels: 1, Origin: []string{originMixed}, HSCode: hsGem},
			Parties: []protocol.Party{
				{Role: "exporter", Name: "Unlicensed courier", Country: pick(g, foreignIssuers)},
				{Role: "importer", Name: pick(g, g.nodes[author].traders).Name, Country: countryOf(author)},
			},
			Reason: "Declared at USD 3/ct for gem-quality goods; no KP certificate presented.",
			Status: "under_investigation",
		},
	}
	return g.noticeItem(author, n)
}

// historicVigilance is the enhanced vigilance on Côte d'Ivoire, lifted in
// 2014: no certificate of the window falls in it.
func (g *generator) historicVigilance(author string) Item {
	from, _ := protocol.ParseDate("2005-01-01")
	to, _ := protocol.ParseDate("2014-04-29")
	n := &protocol.Notice{
		Version: 1, Kind: protocol.NoticeEnhancedVigilance, Reference: g.reference(author, to), Issued: to,
		Title: "Enhanced vigilance on Côte d'Ivoire lifted",
		EnhancedVigilance: &protocol.EnhancedVigilance{
			Origin: "CI", From: from, To: to, Measures: []string{"inspect_shipments", "report_attempted_shipments"},
		},
	}
	return g.noticeItem(author, n)
}

// historicStatus is Venezuela's voluntary suspension of 2008.
func (g *generator) historicStatus(author string) Item {
	day, _ := protocol.ParseDate("2008-11-07")
	n := &protocol.Notice{
		Version: 1, Kind: protocol.NoticeParticipantStatusChange, Reference: g.reference(author, day), Issued: day,
		Title: "Venezuela voluntarily suspended",
		ParticipantStatusChange: &protocol.ParticipantStatusChange{
			Participant: "VE", Status: "voluntarily_suspended", Effective: day,
			Conditions: "No exports or imports of rough diamonds until readmitted.",
		},
	}
	return g.noticeItem(author, n)
}

// watch makes author publish the enhanced vigilance on the Bria zone of
// the Central African Republic (R5), once, in force from well before the
// window.
func (g *generator) watch(author string) {
	if g.inj.watched[author] {
		return
	}
	g.inj.watched[author] = true
	from := addDays(g.cal.from, -30)
	n := &protocol.Notice{
		Version: 1, Kind: protocol.NoticeEnhancedVigilance, Reference: g.reference(author, from), Issued: from,
		Title: "Enhanced vigilance: rough diamonds from the Bria zone",
		EnhancedVigilance: &protocol.EnhancedVigilance{
			Origin: watchedOrigin, Area: "Bria zone", From: from, Measures: []string{"inspect_shipments", "report_attempted_shipments"},
		},
	}
	g.extra = append(g.extra, g.noticeItem(author, n))
}
