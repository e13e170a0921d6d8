package protocol

import "math"

// CertificateType is the record type name of KP certificates.
const CertificateType = "certificate"

// MaxCertificateLines caps the lines of a certificate.
const MaxCertificateLines = 20

func init() {
	register(CertificateType, "KP certificate issued by the exporting authority (KPCS Annex I)", (*checker).certificate)
}

// Certificate is the body of a "certificate" record: a KP certificate as
// issued by the exporting Participant's authority, with the minimum
// elements of KPCS Annex I (DOMAIN.md, Certificate). The totals equal the
// sums of the lines; a body whose totals do not add up is invalid.
type Certificate struct {
	Version          int               `json:"version"` // 1
	Number           string            `json:"number"`  // unique per issuer, "IN0001234"
	Issuer           string            `json:"issuer"`  // participant code of the exporting authority
	IssuingAuthority string            `json:"issuing_authority"`
	Issued           Date              `json:"issued"`
	Expires          Date              `json:"expires"` // not before Issued
	Exporter         Trader            `json:"exporter"`
	Importer         Trader            `json:"importer"`
	Destination      string            `json:"destination"` // participant code, not Issuer
	Origin           []string          `json:"origin"`      // country codes, or just "MIXED"
	Parcels          int               `json:"parcels"`
	Lines            []CertificateLine `json:"lines"`
	TotalCarats      Carats            `json:"total_carats"`
	TotalValueUSD    USD               `json:"total_value_usd"`
	Supersedes       *Supersedes       `json:"supersedes,omitempty"`
	Attachments      []AttachedFile    `json:"attachments,omitempty"` // the scan (§6.5)
}

// CertificateLine is one HS code of a certificate with its weight and value.
type CertificateLine struct {
	HSCode   string `json:"hs_code"` // see [HSCodes]
	Carats   Carats `json:"carats"`
	ValueUSD USD    `json:"value_usd"`
}

// ParseCertificate decodes and strictly validates a certificate body,
// reporting every problem in a *[ValidationError]. On error the
// certificate is nil.
func ParseCertificate(body []byte) (*Certificate, error) {
	return parseBody(CertificateType, body, (*checker).certificate)
}

// NaturalKey returns "certificate/<issuer>/<number>".
func (c *Certificate) NaturalKey() string { return CertificateType + "/" + c.Issuer + "/" + c.Number }

func (c *checker) certificate(o *object) *Certificate {
	if o == nil || !o.version() {
		return nil
	}
	ct := &Certificate{Version: 1}
	ct.Number = o.certificateNumber("number")
	ct.Issuer = o.participant("issuer", true, true)
	ct.IssuingAuthority = o.str("issuing_authority", true, 200)
	ct.Issued = o.date("issued", true)
	ct.Expires = o.date("expires", true)
	if !ct.Issued.IsZero() && !ct.Expires.IsZero() && ct.Expires.Before(ct.Issued) {
		c.add(o.at("expires"), "must not be before issued (%s)", ct.Issued)
	}
	ct.Exporter = o.trader("exporter")
	ct.Importer = o.trader("importer")
	ct.Destination = o.participant("destination", true, true)
	if ct.Destination != "" && ct.Destination == ct.Issuer {
		c.add(o.at("destination"), "must not be the issuer %q", ct.Issuer)
	}
	ct.Origin = o.origin("origin", true)
	ct.Parcels = int(o.integer("parcels", true, 1, 100000))
	ct.Lines = o.certificateLines()
	ct.TotalCarats = Carats(o.hundredths("total_carats", true, parseHundredths))
	ct.TotalValueUSD = USD(o.hundredths("total_value_usd", true, parseHundredths))
	ct.Supersedes = o.supersedes()
	ct.Attachments = o.attachments()
	o.checkTotals(ct)
	o.done()
	return ct
}

// certificateLines reads 1..MaxCertificateLines lines. It returns nil when
// any line is invalid, so that the totals are checked only against lines
// that all parsed.
func (o *object) certificateLines() []CertificateLine {
	before := len(o.c.errs)
	var lines []CertificateLine
	for _, it := range o.array("lines", true, 1, MaxCertificateLines) {
		lo := it.object(o.c)
		if lo == nil {
			continue
		}
		l := CertificateLine{}
		l.HSCode = lo.enum("hs_code", true, hsCodes)
		l.Carats = Carats(lo.hundredths("carats", true, parseHundredths))
		l.ValueUSD = USD(lo.hundredths("value_usd", true, parseHundredths))
		lo.done()
		lines = append(lines, l)
	}
	if len(o.c.errs) != before {
		return nil
	}
	return lines
}

// checkTotals reports totals that differ from the sums of the lines (KPCS
// Annex I; cross-check 7 of DOMAIN.md), with both numbers. It is skipped
// when a line or a total is itself invalid.
func (o *object) checkTotals(ct *Certificate) {
	if len(ct.Lines) == 0 {
		return
	}
	var carats, value int64
	var overflow bool
	for _, l := range ct.Lines {
		carats, overflow = addChecked(carats, int64(l.Carats), overflow)
		value, overflow = addChecked(value, int64(l.ValueUSD), overflow)
	}
	if overflow {
		o.c.add(o.at("lines"), "amounts are too large to add up")
		return
	}
	if ct.TotalCarats != 0 && ct.TotalCarats != Carats(carats) {
		o.c.add(o.at("total_carats"), "is %s, but the lines add up to %s", ct.TotalCarats, Carats(carats))
	}
	if ct.TotalValueUSD != 0 && ct.TotalValueUSD != USD(value) {
		o.c.add(o.at("total_value_usd"), "is %s, but the lines add up to %s", ct.TotalValueUSD, USD(value))
	}
}

// addChecked adds two non-negative amounts, setting overflow when the sum
// exceeds math.MaxInt64.
func addChecked(a, b int64, overflow bool) (int64, bool) {
	if a > math.MaxInt64-b {
		return a, true
	}
	return a + b, overflow
}

// TypeName returns [CertificateType].
func (c *Certificate) TypeName() string { return CertificateType }

// Noun returns "certificate".
func (c *Certificate) Noun() string { return "certificate" }

// Replaces returns the certificate this one corrects, or nil.
func (c *Certificate) Replaces() *Supersedes { return c.Supersedes }

// Parties returns the destination.
func (c *Certificate) Parties() ([]string, bool) { return []string{c.Destination}, true }

// Filed returns the issue date.
func (c *Certificate) Filed() Date { return c.Issued }

// Concerns returns the issuer and the destination.
func (c *Certificate) Concerns() []string { return []string{c.Issuer, c.Destination} }

// ForEveryPartner reports false.
func (c *Certificate) ForEveryPartner() bool { return false }

// Author returns the issuer.
func (c *Certificate) Author() (AuthorClaim, bool) {
	return AuthorClaim{"issuer", c.Issuer}, true
}

// Files returns the certificate's attached files.
func (c *Certificate) Files() []AttachedFile { return c.Attachments }
