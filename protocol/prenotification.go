package protocol

// PreNotificationType is the record type name of export pre-notifications.
const PreNotificationType = "pre_notification"

func init() {
	register(PreNotificationType, "export pre-notification to the importing authority (KPCS Annex II)", (*checker).preNotification)
}

// PreNotification is the body of a "pre_notification" record, sent by the
// exporting authority to the importing authority upon or before a shipment
// leaves (DOMAIN.md, Export pre-notification). It must agree with the
// certificate it names; that is checked by reconciliation, not here.
type PreNotification struct {
	Version           int         `json:"version"` // 1
	CertificateNumber string      `json:"certificate_number"`
	Issuer            string      `json:"issuer"` // participant code of the exporting authority
	Carats            Carats      `json:"carats"`
	ValueUSD          USD         `json:"value_usd"`
	Origin            []string    `json:"origin"` // country codes, or just "MIXED"
	Exporter          Trader      `json:"exporter"`
	Importer          Trader      `json:"importer"`
	Parcels           int         `json:"parcels"`
	Shipped           Date        `json:"shipped"`
	Supersedes        *Supersedes `json:"supersedes,omitempty"`
}

// ParsePreNotification decodes and strictly validates a pre-notification
// body, reporting every problem in a *[ValidationError]. On error the
// pre-notification is nil.
func ParsePreNotification(body []byte) (*PreNotification, error) {
	return parseBody(PreNotificationType, body, (*checker).preNotification)
}

// NaturalKey returns "pre_notification/<issuer>/<certificate number>".
func (p *PreNotification) NaturalKey() string {
	return PreNotificationType + "/" + p.Issuer + "/" + p.CertificateNumber
}

func (c *checker) preNotification(o *object) *PreNotification {
	if o == nil || !o.version() {
		return nil
	}
	p := &PreNotification{Version: 1}
	p.CertificateNumber = o.certificateNumber("certificate_number")
	p.Issuer = o.participant("issuer", true, true)
	p.Carats = Carats(o.hundredths("carats", true, parseHundredths))
	p.ValueUSD = USD(o.hundredths("value_usd", true, parseHundredths))
	p.Origin = o.origin("origin", true)
	p.Exporter = o.trader("exporter")
	p.Importer = o.trader("importer")
	p.Parcels = int(o.integer("parcels", true, 1, 100000))
	p.Shipped = o.date("shipped", true)
	p.Supersedes = o.supersedes()
	o.done()
	return p
}

// TypeName returns [PreNotificationType].
func (p *PreNotification) TypeName() string { return PreNotificationType }

// Noun returns "pre-notification".
func (p *PreNotification) Noun() string { return "pre-notification" }

// Replaces returns the pre-notification this one corrects, or nil.
func (p *PreNotification) Replaces() *Supersedes { return p.Supersedes }

// Parties returns the importing country when it is a participant code;
// none otherwise.
func (p *PreNotification) Parties() ([]string, bool) {
	if _, known := LookupParticipant(p.Importer.Country); known {
		return []string{p.Importer.Country}, true
	}
	return nil, true
}

// Filed returns the shipping date.
func (p *PreNotification) Filed() Date { return p.Shipped }

// Concerns returns the issuer and the importing country.
func (p *PreNotification) Concerns() []string { return []string{p.Issuer, p.Importer.Country} }

// ForEveryPartner reports false.
func (p *PreNotification) ForEveryPartner() bool { return false }

// Author returns the issuer.
func (p *PreNotification) Author() (AuthorClaim, bool) {
	return AuthorClaim{"issuer", p.Issuer}, true
}
