package protocol

import "strings"

// FraudulentCertificate reports a forged or altered KP certificate.
type FraudulentCertificate struct {
	DetectedBy          string       `json:"detected_by"`      // participant code
	PurportedIssuer     string       `json:"purported_issuer"` // participant code
	CertificateNumbers  []string     `json:"certificate_numbers"`
	Defects             []string     `json:"defects"` // see [FraudDefects]
	DefectDetails       string       `json:"defect_details,omitempty"`
	IssuerConfirmedFake *bool        `json:"issuer_confirmed_fake"` // nil: not yet known
	Evidence            []Attachment `json:"evidence,omitempty"`
	ActionRequested     string       `json:"action_requested"`
}

// Attachment names a file (a scan, a photo) held by the notice's author and
// pins its content by SHA-256; the file itself travels separately.
type Attachment struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"` // lowercase hex
}

// SuspiciousShipment reports a shipment under suspicion or seized.
type SuspiciousShipment struct {
	CertificateNumber string   `json:"certificate_number,omitempty"`
	Shipment          Shipment `json:"shipment"`
	Parties           []Party  `json:"parties"`
	Reason            string   `json:"reason"`
	Status            string   `json:"status"` // see [ShipmentStatuses]
}

// Shipment describes goods. Only Carats is required.
type Shipment struct {
	Carats   Carats   `json:"carats"`
	ValueUSD USD      `json:"value_usd,omitempty"`
	Parcels  int      `json:"parcels,omitempty"`
	Origin   []string `json:"origin,omitempty"` // country codes, or just "MIXED"
	HSCode   string   `json:"hs_code,omitempty"`
}

// Party is a person or company involved in a shipment.
type Party struct {
	Role    string `json:"role"` // see [PartyRoles]
	Name    string `json:"name"`
	Country string `json:"country,omitempty"`
}

// EnhancedVigilance asks participants to watch shipments of an origin.
type EnhancedVigilance struct {
	Origin       string   `json:"origin"` // country code
	Area         string   `json:"area,omitempty"`
	From         Date     `json:"from"`
	To           Date     `json:"to,omitzero"` // zero: open-ended
	Measures     []string `json:"measures"`    // see [VigilanceMeasures]
	Instructions string   `json:"instructions,omitempty"`
}

// ParticipantStatusChange announces that a Participant was suspended,
// suspended itself, was removed or was readmitted, from Effective on.
type ParticipantStatusChange struct {
	Participant string `json:"participant"` // participant code
	Status      string `json:"status"`      // see [ParticipantStatuses]
	Effective   Date   `json:"effective"`
	Conditions  string `json:"conditions,omitempty"` // e.g. zone-based exports only
}

// Enumerations used by notices. They must not be modified.
var (
	// FraudDefects are the values of FraudulentCertificate.Defects.
	FraudDefects = []string{"number_out_of_range", "parcel_number_pattern", "layout_unlike_specimen", "other"}
	// ShipmentStatuses are the values of SuspiciousShipment.Status.
	ShipmentStatuses = []string{"under_investigation", "seized", "released", "closed"}
	// PartyRoles are the values of Party.Role.
	PartyRoles = []string{"exporter", "importer", "carrier", "other"}
	// VigilanceMeasures are the values of EnhancedVigilance.Measures.
	VigilanceMeasures = []string{"inspect_shipments", "report_attempted_shipments", "other"}
	// ParticipantStatuses are the values of ParticipantStatusChange.Status.
	ParticipantStatuses = []string{"suspended", "voluntarily_suspended", "removed", "readmitted"}
)

// originMixed is the origin of a mixed-origin parcel.
const originMixed = "MIXED"

const certificateNumberWant = "a certificate number of uppercase letters, digits, spaces and . / -"

func fraudulentCertificate(o *object) *FraudulentCertificate {
	if o == nil {
		return nil
	}
	f := &FraudulentCertificate{}
	f.DetectedBy = o.participant("detected_by", true, false)
	f.PurportedIssuer = o.participant("purported_issuer", true, false)
	f.CertificateNumbers = o.strings("certificate_numbers", true, 1, 100, 40,
		o.c.matching(certificateNumberWant, isCertificateNumber))
	f.Defects = o.strings("defects", true, 1, len(FraudDefects), 32, o.c.oneOf(FraudDefects))
	f.DefectDetails = o.text("defect_details", hasOther(f.Defects), 4000)
	f.IssuerConfirmedFake = o.optBool("issuer_confirmed_fake")
	for _, it := range o.array("evidence", false, 0, 20) {
		if a := attachment(it.object(o.c)); a != nil {
			f.Evidence = append(f.Evidence, *a)
		}
	}
	f.ActionRequested = o.text("action_requested", true, 2000)
	o.done()
	return f
}

func attachment(o *object) *Attachment {
	if o == nil {
		return nil
	}
	a := &Attachment{}
	a.Name = o.pattern("name", true, 200, "a file name without / or \\", func(s string) bool {
		return !strings.ContainsAny(s, `/\`)
	})
	a.SHA256 = o.pattern("sha256", true, 64, "64 lowercase hex characters", isSHA256Hex)
	o.done()
	return a
}

func suspiciousShipment(o *object) *SuspiciousShipment {
	if o == nil {
		return nil
	}
	s := &SuspiciousShipment{}
	s.CertificateNumber = o.pattern("certificate_number", false, 40, certificateNumberWant, isCertificateNumber)
	if sh := shipment(o.obj("shipment", true)); sh != nil {
		s.Shipment = *sh
	}
	for _, it := range o.array("parties", true, 1, 20) {
		if p := party(it.object(o.c)); p != nil {
			s.Parties = append(s.Parties, *p)
		}
	}
	s.Reason = o.text("reason", true, 4000)
	s.Status = o.enum("status", true, ShipmentStatuses)
	o.done()
	return s
}

func shipment(o *object) *Shipment {
	if o == nil {
		return nil
	}
	s := &Shipment{}
	s.Carats = Carats(o.hundredths("carats", true, parseHundredths))
	s.ValueUSD = USD(o.hundredths("value_usd", false, parseHundredths))
	s.Parcels = int(o.integer("parcels", false, 1, 100000))
	s.Origin = o.origin("origin", false)
	s.HSCode = o.enum("hs_code", false, hsCodes)
	o.done()
	return s
}

func isOrigin(s string) bool { return s == originMixed || isCodeSyntax(s) }

func party(o *object) *Party {
	if o == nil {
		return nil
	}
	p := &Party{}
	p.Role = o.enum("role", true, PartyRoles)
	p.Name = o.str("name", true, 200)
	p.Country = o.country("country", false)
	o.done()
	return p
}

func enhancedVigilance(o *object) *EnhancedVigilance {
	if o == nil {
		return nil
	}
	v := &EnhancedVigilance{}
	v.Origin = o.country("origin", true)
	v.Area = o.str("area", false, 200)
	v.From = o.date("from", true)
	v.To = o.date("to", false)
	if !v.From.IsZero() && !v.To.IsZero() && v.To.Before(v.From) {
		o.c.add(o.at("to"), "must not be before from (%s)", v.From)
	}
	v.Measures = o.strings("measures", true, 1, len(VigilanceMeasures), 32, o.c.oneOf(VigilanceMeasures))
	v.Instructions = o.text("instructions", hasOther(v.Measures), 4000)
	o.done()
	return v
}

func participantStatusChange(o *object) *ParticipantStatusChange {
	if o == nil {
		return nil
	}
	p := &ParticipantStatusChange{}
	p.Participant = o.participant("participant", true, true)
	p.Status = o.enum("status", true, ParticipantStatuses)
	p.Effective = o.date("effective", true)
	p.Conditions = o.text("conditions", false, 4000)
	o.done()
	return p
}
