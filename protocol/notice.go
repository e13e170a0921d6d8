package protocol

import (
	"slices"
	"strings"
)

// NoticeType is the record type name of enforcement notices.
const NoticeType = "notice"

// Notice kinds, the value of Notice.Kind.
const (
	NoticeFraudulentCertificate   = "fraudulent_certificate"
	NoticeSuspiciousShipment      = "suspicious_shipment"
	NoticeEnhancedVigilance       = "enhanced_vigilance"
	NoticeParticipantStatusChange = "participant_status_change"
)

var noticeKinds = []string{NoticeFraudulentCertificate, NoticeSuspiciousShipment, NoticeEnhancedVigilance, NoticeParticipantStatusChange}

func init() {
	Register(RecordType{
		Name:    NoticeType,
		Summary: "enforcement notice: fraudulent certificate, suspicious shipment, enhanced vigilance or participant status change",
		Validate: func(body []byte) error {
			_, err := ParseNotice(body)
			return err
		},
	})
}

// Notice is the body of a "notice" record (DOMAIN.md, Enforcement notices).
// Exactly one of the kind-specific parts is set, the one Kind names.
// docs/protocol.md gives the limits on every field.
type Notice struct {
	Version                 int                      `json:"version"` // 1
	Kind                    string                   `json:"kind"`
	Reference               string                   `json:"reference"` // issuer's reference, "IN-N-2026-0007"
	Issued                  Date                     `json:"issued"`
	Title                   string                   `json:"title"`
	Details                 string                   `json:"details,omitempty"`
	FraudulentCertificate   *FraudulentCertificate   `json:"fraudulent_certificate,omitempty"`
	SuspiciousShipment      *SuspiciousShipment      `json:"suspicious_shipment,omitempty"`
	EnhancedVigilance       *EnhancedVigilance       `json:"enhanced_vigilance,omitempty"`
	ParticipantStatusChange *ParticipantStatusChange `json:"participant_status_change,omitempty"`
	Supersedes              *Supersedes              `json:"supersedes,omitempty"`  // the notice this one corrects
	Attachments             []AttachedFile           `json:"attachments,omitempty"` // photos, scans (§6.5)
}

// ParseNotice decodes and strictly validates a notice body, reporting every
// problem in a *[ValidationError]. On error the notice is nil.
func ParseNotice(body []byte) (*Notice, error) {
	c := &checker{}
	n := c.notice(c.document(body, MaxBodySize))
	if err := c.err(NoticeType); err != nil {
		return nil, err
	}
	return n, nil
}

func (c *checker) notice(o *object) *Notice {
	if o == nil || !o.version() {
		return nil
	}
	n := &Notice{Version: 1}
	n.Kind = o.enum("kind", true, noticeKinds)
	n.Reference = o.pattern("reference", true, 64, `a reference such as "IN-N-2026-0007"`, isReference)
	n.Issued = o.date("issued", true)
	n.Title = o.str("title", true, 200)
	n.Details = o.text("details", false, 10000)
	n.FraudulentCertificate = fraudulentCertificate(o.kindPart(n.Kind, NoticeFraudulentCertificate))
	n.SuspiciousShipment = suspiciousShipment(o.kindPart(n.Kind, NoticeSuspiciousShipment))
	n.EnhancedVigilance = enhancedVigilance(o.kindPart(n.Kind, NoticeEnhancedVigilance))
	n.ParticipantStatusChange = participantStatusChange(o.kindPart(n.Kind, NoticeParticipantStatusChange))
	n.Supersedes = o.supersedes()
	n.Attachments = o.attachments()
	o.done()
	return n
}

// kindPart reads member name when kind selects it and reports its presence
// otherwise. With an invalid kind it only marks the member as read.
func (o *object) kindPart(kind, name string) *object {
	if kind == name {
		return o.obj(name, true)
	}
	present := o.has(name)
	o.get(name, false)
	if present && kind != "" {
		o.c.add(o.at(name), "not allowed when kind is %q", kind)
	}
	return nil
}

// isReference matches [A-Za-z0-9][A-Za-z0-9._/-]*.
func isReference(s string) bool {
	if s == "" || !isAlnum(s[0]) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return r > 127 || !isAlnum(byte(r)) && !strings.ContainsRune("._/-", r)
	}) < 0
}

// isCertificateNumber matches [A-Z0-9][A-Z0-9 ./-]* with no trailing space.
func isCertificateNumber(s string) bool {
	if s == "" || !isUpperAlnum(s[0]) || strings.HasSuffix(s, " ") {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return r > 127 || !isUpperAlnum(byte(r)) && !strings.ContainsRune(" ./-", r)
	}) < 0
}

func isAlnum(c byte) bool      { return isUpperAlnum(c) || c >= 'a' && c <= 'z' }
func isUpperAlnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// isSHA256Hex matches 64 lowercase hex characters.
func isSHA256Hex(s string) bool { return len(s) == 64 && isLowerHex(s) }

// hasOther reports whether a list of enum values includes "other".
func hasOther(list []string) bool { return slices.Contains(list, "other") }

// TypeName returns [NoticeType].
func (n *Notice) TypeName() string { return NoticeType }

// Noun returns "notice".
func (n *Notice) Noun() string { return "notice" }

// Replaces returns the notice this one corrects, or nil.
func (n *Notice) Replaces() *Supersedes { return n.Supersedes }

// Parties reports that only the operator can name a notice's readers.
func (n *Notice) Parties() ([]string, bool) { return operatorNamed() }

// Filed returns the issue date.
func (n *Notice) Filed() Date { return n.Issued }

// Concerns returns the authority that detected a fraudulent
// certificate; nil for the other kinds, which name no participant as
// their party.
func (n *Notice) Concerns() []string {
	if a, ok := n.Author(); ok {
		return []string{a.Code}
	}
	return nil
}

// ForEveryPartner reports true: the whole KP reads notices.
func (n *Notice) ForEveryPartner() bool { return true }

// Author returns the authority that detected a fraudulent certificate; none for the other kinds.
func (n *Notice) Author() (AuthorClaim, bool) {
	if n.FraudulentCertificate != nil {
		return AuthorClaim{"fraudulent_certificate.detected_by", n.FraudulentCertificate.DetectedBy}, true
	}
	return AuthorClaim{}, false
}

// Files returns the notice's attached files.
func (n *Notice) Files() []AttachedFile { return n.Attachments }
