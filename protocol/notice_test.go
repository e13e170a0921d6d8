package protocol

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseNoticeExample(t *testing.T) {
	n, err := ParseNotice(readFile(t, examplesDir+"/notice.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := n.FraudulentCertificate
	if n.Kind != NoticeFraudulentCertificate || n.Issued != (Date{2026, 11, 20}) || f == nil ||
		f.DetectedBy != "IN" || f.PurportedIssuer != "AE" || len(f.CertificateNumbers) != 2 ||
		f.IssuerConfirmedFake != nil || len(f.Evidence) != 1 || n.SuspiciousShipment != nil {
		t.Errorf("parsed %+v / %+v", n, f)
	}
	s, err := ParseNotice(readFile(t, examplesDir+"/notice-suspicious-shipment.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sh := s.SuspiciousShipment.Shipment; sh.Carats != 1250 || sh.ValueUSD != 180000 || sh.Parcels != 2 || sh.HSCode != "7102.31" {
		t.Errorf("shipment %+v", sh)
	}
}

// TestNoticeMarshalRoundTrip checks that the Go types marshal to bodies the
// validator accepts and parse back to the same value.
func TestNoticeMarshalRoundTrip(t *testing.T) {
	for _, name := range []string{"notice.json", "notice-suspicious-shipment.json", "notice-enhanced-vigilance.json"} {
		n, err := ParseNotice(readFile(t, examplesDir+"/"+name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseNotice(b)
		if err != nil {
			t.Fatalf("%s: marshalled notice does not validate: %v\n%s", name, err, b)
		}
		if !reflect.DeepEqual(back, n) {
			t.Errorf("%s: round trip changed the notice:\n got %+v\nwant %+v", name, back, n)
		}
	}
	yes := true
	n, _ := ParseNotice(readFile(t, examplesDir+"/notice.json"))
	n.FraudulentCertificate.IssuerConfirmedFake = &yes
	b, _ := json.Marshal(n)
	if back, err := ParseNotice(b); err != nil || back.FraudulentCertificate.IssuerConfirmedFake == nil || !*back.FraudulentCertificate.IssuerConfirmedFake {
		t.Errorf("issuer_confirmed_fake true did not survive: %v", err)
	}
}

// mutated returns an example body with change applied to its decoded form.
func mutated(t *testing.T, file string, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, examplesDir+"/"+file), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// del is a value for set that deletes the member.
var del = new(int)

// set returns a change that sets the member at a dotted path, with [i] for
// array elements.
func set(path string, v any) func(map[string]any) {
	return func(m map[string]any) {
		parts := strings.Split(path, ".")
		var cur any = m
		for _, p := range parts[:len(parts)-1] {
			cur = step(cur, p)
		}
		last := parts[len(parts)-1]
		if name, idx, ok := splitIndex(last); ok {
			cur.(map[string]any)[name].([]any)[idx] = v
			return
		}
		if v == del {
			delete(cur.(map[string]any), last)
			return
		}
		cur.(map[string]any)[last] = v
	}
}

func step(cur any, p string) any {
	if name, idx, ok := splitIndex(p); ok {
		return cur.(map[string]any)[name].([]any)[idx]
	}
	m := cur.(map[string]any)
	if m[p] == nil { // an optional object the example leaves out
		m[p] = map[string]any{}
	}
	return m[p]
}

func splitIndex(p string) (string, int, bool) {
	name, rest, ok := strings.Cut(p, "[")
	if !ok {
		return p, 0, false
	}
	i, _ := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	return name, i, true
}

func TestNoticeInvalid(t *testing.T) {
	const fc, ss, ev = "notice.json", "notice-suspicious-shipment.json", "notice-enhanced-vigilance.json"
	tests := []struct {
		file   string
		change func(map[string]any)
		field  string
		reason string
	}{
		{fc, set("version", del), "version", "is required"},
		{fc, set("version", 2), "version", "unsupported version 2"},
		{fc, set("version", "1"), "version", "unsupported version"},
		{fc, set("kind", "rumour"), "kind", "must be one of"},
		{fc, set("kind", del), "kind", "is required"},
		{fc, set("reference", "has space"), "reference", "must be a reference"},
		{fc, set("reference", strings.Repeat("A", 65)), "reference", "65 characters, limit 64"},
		{fc, set("issued", "2026-02-30"), "issued", "must be a date"},
		{fc, set("issued", 20261120), "issued", "must be a string"},
		{fc, set("title", ""), "title", "is required"},
		{fc, set("title", "   "), "title", "is required"},
		{fc, set("title", "two\nlines"), "title", "control character"},
		{fc, set("title", strings.Repeat("é", 201)), "title", "201 characters, limit 200"},
		{fc, set("details", strings.Repeat("x", 10001)), "details", "limit 10000"},
		{fc, set("extra", 1), "extra", "unknown field"},
		{fc, set("Title", "case matters"), "Title", "unknown field"},
		{fc, set("fraudulent_certificate", del), "fraudulent_certificate", "is required"},
		{fc, set("fraudulent_certificate", "x"), "fraudulent_certificate", "must be an object"},
		{fc, set("suspicious_shipment", map[string]any{}), "suspicious_shipment", `not allowed when kind is "fraudulent_certificate"`},
		{fc, set("fraudulent_certificate.detected_by", "XX"), "fraudulent_certificate.detected_by", `unknown participant code "XX"`},
		{fc, set("fraudulent_certificate.detected_by", "be"), "fraudulent_certificate.detected_by", "two-letter uppercase"},
		{fc, set("fraudulent_certificate.purported_issuer", del), "fraudulent_certificate.purported_issuer", "is required"},
		{fc, set("fraudulent_certificate.certificate_numbers", []any{}), "fraudulent_certificate.certificate_numbers", "at least 1"},
		{fc, set("fraudulent_certificate.certificate_numbers[1]", "ae 123"), "fraudulent_certificate.certificate_numbers[1]", "must be a certificate number"},
		{fc, set("fraudulent_certificate.certificate_numbers[1]", "AE0123456"), "fraudulent_certificate.certificate_numbers[1]", "duplicate"},
		{fc, set("fraudulent_certificate.certificate_numbers[0]", 123), "fraudulent_certificate.certificate_numbers[0]", "must be a string"},
		{fc, set("fraudulent_certificate.defects[1]", "smudged"), "fraudulent_certificate.defects[1]", "must be one of"},
		{fc, set("fraudulent_certificate.defects", []any{"other"}), "fraudulent_certificate.defect_details", ""},
		{fc, set("fraudulent_certificate.issuer_confirmed_fake", "yes"), "fraudulent_certificate.issuer_confirmed_fake", "true, false or null"},
		{fc, set("fraudulent_certificate.evidence[0].sha256", "ABC"), "fraudulent_certificate.evidence[0].sha256", "64 lowercase hex"},
		{fc, set("fraudulent_certificate.evidence[0].name", "../etc/passwd"), "fraudulent_certificate.evidence[0].name", "without /"},
		{fc, set("fraudulent_certificate.evidence[0].size", 10), "fraudulent_certificate.evidence[0].size", "unknown field"},
		{fc, set("fraudulent_certificate.evidence", make([]any, 21)), "fraudulent_certificate.evidence", "21 items, limit 20"},
		{fc, set("fraudulent_certificate.action_requested", del), "fraudulent_certificate.action_requested", "is required"},
		{ss, set("suspicious_shipment.shipment.carats", 12.5), "suspicious_shipment.shipment.carats", "must be a string"},
		{ss, set("suspicious_shipment.shipment.carats", "1e3"), "suspicious_shipment.shipment.carats", "not a decimal"},
		{ss, set("suspicious_shipment.shipment.carats", "0.00"), "suspicious_shipment.shipment.carats", "greater than zero"},
		{ss, set("suspicious_shipment.shipment.carats", "-1"), "suspicious_shipment.shipment.carats", "not a decimal"},
		{ss, set("suspicious_shipment.shipment.value_usd", "1.234"), "suspicious_shipment.shipment.value_usd", "two decimals"},
		{ss, set("suspicious_shipment.shipment.parcels", 1.5), "suspicious_shipment.shipment.parcels", "must be an integer"},
		{ss, set("suspicious_shipment.shipment.parcels", 0), "suspicious_shipment.shipment.parcels", "between 1 and"},
		{ss, set("suspicious_shipment.shipment.hs_code", "7102.39"), "suspicious_shipment.shipment.hs_code", "must be one of"},
		{ss, set("suspicious_shipment.shipment.origin", []any{"CI", "MIXED"}), "suspicious_shipment.shipment.origin", "only origin"},
		{ss, set("suspicious_shipment.shipment.origin[0]", "Côte"), "suspicious_shipment.shipment.origin[0]", "country code"},
		{ss, set("suspicious_shipment.shipment", del), "suspicious_shipment.shipment", "is required"},
		{ss, set("suspicious_shipment.parties[1].role", "broker"), "suspicious_shipment.parties[1].role", "must be one of"},
		{ss, set("suspicious_shipment.parties[0].name", del), "suspicious_shipment.parties[0].name", "is required"},
		{ss, set("suspicious_shipment.parties", []any{}), "suspicious_shipment.parties", "at least 1"},
		{ss, set("suspicious_shipment.status", "lost"), "suspicious_shipment.status", "must be one of"},
		{ss, set("suspicious_shipment.certificate_number", "bad#"), "suspicious_shipment.certificate_number", "certificate number"},
		{ev, set("enhanced_vigilance.to", "2025-12-31"), "enhanced_vigilance.to", "must not be before from (2026-01-01)"},
		{ev, set("enhanced_vigilance.origin", "Bria"), "enhanced_vigilance.origin", "country code"},
		{ev, set("enhanced_vigilance.measures", []any{"other"}), "enhanced_vigilance.measures", ""},
		{ev, set("enhanced_vigilance.measures", []any{"inspect_shipments", "inspect_shipments"}), "enhanced_vigilance.measures[1]", "duplicate"},
		{ev, set("enhanced_vigilance.from", del), "enhanced_vigilance.from", "is required"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"/"+tt.reason, func(t *testing.T) {
			body := mutated(t, tt.file, tt.change)
			if tt.reason == "" { // the change itself is valid
				if err := ValidateRecord(NoticeType, body); err != nil {
					t.Fatalf("valid change rejected: %v", err)
				}
				return
			}
			n, err := ParseNotice(body)
			var ve *ValidationError
			if n != nil || !errors.As(err, &ve) || ve.Type != NoticeType {
				t.Fatalf("ParseNotice = %v, %v; want nil and a notice ValidationError", n, err)
			}
			if got, ok := ve.Reason(tt.field); !ok || !strings.Contains(got, tt.reason) {
				t.Errorf("field %q: reason %q, want %q; all: %v", tt.field, got, tt.reason, err)
			}
		})
	}
}

func TestNoticeConditionalFields(t *testing.T) {
	tests := []struct {
		file, field string
		change      func(map[string]any)
	}{
		{"notice.json", "fraudulent_certificate.defect_details", func(m map[string]any) {
			set("fraudulent_certificate.defects", []any{"other"})(m)
			set("fraudulent_certificate.defect_details", del)(m)
		}},
		{"notice-enhanced-vigilance.json", "enhanced_vigilance.instructions", func(m map[string]any) {
			set("enhanced_vigilance.measures", []any{"other"})(m)
			set("enhanced_vigilance.instructions", del)(m)
		}},
	}
	for _, tt := range tests {
		err := ValidateRecord(NoticeType, mutated(t, tt.file, tt.change))
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%s: err %v", tt.field, err)
		}
		if r, ok := ve.Reason(tt.field); !ok || r != "is required" {
			t.Errorf("%s: reason %q, want required when \"other\" is chosen", tt.field, r)
		}
	}
}

func TestNoticeReportsEveryError(t *testing.T) {
	body := mutated(t, "notice.json", func(m map[string]any) {
		set("title", del)(m)
		set("issued", "yesterday")(m)
		set("fraudulent_certificate.detected_by", "XX")(m)
		set("fraudulent_certificate.certificate_numbers[0]", "")(m)
		set("fraudulent_certificate.bogus", true)(m)
	})
	err := ValidateRecord(NoticeType, body)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err %v", err)
	}
	want := []string{"issued", "title", "fraudulent_certificate.detected_by",
		"fraudulent_certificate.certificate_numbers[0]", "fraudulent_certificate.bogus"}
	var got []string
	for _, fe := range ve.Errors {
		got = append(got, fe.Field)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `invalid notice: field "issued": must be a date`) || strings.Count(msg, "; field ") != len(want)-1 {
		t.Errorf("message %q", msg)
	}
}

func TestNoticeDocumentErrors(t *testing.T) {
	tests := []struct {
		name, body, reason string
	}{
		{"empty", ``, "not valid JSON"},
		{"array", `[]`, "must be an object"},
		{"trailing data", `{"version":1} {}`, "not valid JSON"},
		{"trailing garbage", `{"version":1}x`, "not valid JSON"},
		{"bad utf-8", "{\"version\":1,\"title\":\"\xff\"}", "UTF-8"},
		{"duplicate key", `{"version":1,"version":1}`, "duplicate key"},
		{"nested duplicate key", `{"version":1,"kind":"enhanced_vigilance","reference":"R","issued":"2026-01-01","title":"t",` +
			`"enhanced_vigilance":{"origin":"CI","origin":"CF","from":"2026-01-01","measures":["inspect_shipments"]}}`, "duplicate key"},
		{"oversize", `{"version":1,"details":"` + strings.Repeat("x", MaxBodySize) + `"}`, "exceeds the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNotice([]byte(tt.body))
			if n != nil || err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("ParseNotice = %v, %v; want an error about %q", n, err, tt.reason)
			}
		})
	}
}

func TestFieldErrorJSON(t *testing.T) {
	b, err := json.Marshal(FieldError{Field: "title", Reason: "is required"})
	if err != nil || string(b) != `{"field":"title","reason":"is required"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	if s := (FieldError{Reason: "document is not valid UTF-8"}).String(); s != "document is not valid UTF-8" {
		t.Errorf("document-level String() = %q", s)
	}
}
