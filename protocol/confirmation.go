package protocol

// ImportConfirmationType is the record type name of import confirmations.
const ImportConfirmationType = "import_confirmation"

func init() {
	register(ImportConfirmationType, "import confirmation to the exporting authority (KPCS Section III)", (*checker).importConfirmation)
}

// ImportConfirmation is the body of an "import_confirmation" record, sent
// by the importing authority to the exporting authority once a shipment has
// arrived and been inspected (DOMAIN.md, Import confirmation). Remarks are
// required when the seals were broken or the contents did not match.
type ImportConfirmation struct {
	Version           int         `json:"version"` // 1
	CertificateNumber string      `json:"certificate_number"`
	Issuer            string      `json:"issuer"` // participant code of the exporting authority
	ParcelsReceived   int         `json:"parcels_received"`
	CaratsReceived    Carats      `json:"carats_received"`
	Importer          Trader      `json:"importer"`
	Exporter          Trader      `json:"exporter"`
	Received          Date        `json:"received"`
	SealsIntact       bool        `json:"seals_intact"`
	ContentsMatch     bool        `json:"contents_match"`
	Remarks           string      `json:"remarks,omitempty"`
	Supersedes        *Supersedes `json:"supersedes,omitempty"`
}

// ParseImportConfirmation decodes and strictly validates an import
// confirmation body, reporting every problem in a *[ValidationError]. On
// error the confirmation is nil.
func ParseImportConfirmation(body []byte) (*ImportConfirmation, error) {
	return parseBody(ImportConfirmationType, body, (*checker).importConfirmation)
}

// NaturalKey returns "import_confirmation/<issuer>/<certificate number>".
func (ic *ImportConfirmation) NaturalKey() string {
	return ImportConfirmationType + "/" + ic.Issuer + "/" + ic.CertificateNumber
}

func (c *checker) importConfirmation(o *object) *ImportConfirmation {
	if o == nil || !o.version() {
		return nil
	}
	ic := &ImportConfirmation{Version: 1}
	ic.CertificateNumber = o.certificateNumber("certificate_number")
	ic.Issuer = o.participant("issuer", true, true)
	ic.ParcelsReceived = int(o.integer("parcels_received", true, 1, 100000))
	ic.CaratsReceived = Carats(o.hundredths("carats_received", true, parseHundredths))
	ic.Importer = o.trader("importer")
	ic.Exporter = o.trader("exporter")
	ic.Received = o.date("received", true)
	ic.SealsIntact = o.boolean("seals_intact")
	ic.ContentsMatch = o.boolean("contents_match")
	inspectionFailed := o.isFalse("seals_intact") || o.isFalse("contents_match")
	ic.Remarks = o.text("remarks", inspectionFailed, 4000)
	ic.Supersedes = o.supersedes()
	o.done()
	return ic
}

// TypeName returns [ImportConfirmationType].
func (ic *ImportConfirmation) TypeName() string { return ImportConfirmationType }

// Noun returns "import confirmation".
func (ic *ImportConfirmation) Noun() string { return "import confirmation" }

// Replaces returns the confirmation this one corrects, or nil.
func (ic *ImportConfirmation) Replaces() *Supersedes { return ic.Supersedes }

// Parties returns the exporting authority (the certificate's issuer).
func (ic *ImportConfirmation) Parties() ([]string, bool) { return []string{ic.Issuer}, true }

// Filed returns the date of receipt.
func (ic *ImportConfirmation) Filed() Date { return ic.Received }

// Concerns returns the exporting authority and the importing country.
func (ic *ImportConfirmation) Concerns() []string { return []string{ic.Issuer, ic.Importer.Country} }

// ForEveryPartner reports false.
func (ic *ImportConfirmation) ForEveryPartner() bool { return false }

// Author returns none: a confirmation's author is its feed, the importing authority.
func (ic *ImportConfirmation) Author() (AuthorClaim, bool) {
	return AuthorClaim{}, false
}
