package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestCertificateInvalid(t *testing.T) {
	const f = "certificate.json"
	lines := func(n int) []any {
		ls := make([]any, n)
		for i := range ls {
			ls[i] = map[string]any{"hs_code": "7102.31", "carats": "1.00", "value_usd": "150.00"}
		}
		return ls
	}
	checkInvalid(t, CertificateType, []invalidCase{
		{f, set("number", "IN/2026/0001-A"), "number", ""},
		{f, set("number", strings.Repeat("9", 40)), "number", ""},
		{f, set("origin", []any{"ZA", "BW", "AO"}), "origin", ""},
		{f, func(m map[string]any) { set("issuer", "BE")(m); set("destination", "IN")(m) }, "issuer", ""}, // an EU authority
		{f, set("expires", "2026-09-14"), "expires", ""},
		{f, set("version", del), "version", "is required"},
		{f, set("version", 2), "version", "unsupported version 2"},
		{f, set("number", del), "number", "is required"},
		{f, set("number", "IN 0001234"), "number", "must be a certificate number"},
		{f, set("number", "in0001234"), "number", "must be a certificate number"},
		{f, set("number", "IN.0001234"), "number", "must be a certificate number"},
		{f, set("number", "/IN0001234"), "number", "must be a certificate number"},
		{f, set("number", strings.Repeat("9", 41)), "number", "41 characters, limit 40"},
		{f, set("issuer", "XX"), "issuer", `unknown participant code "XX"`},
		{f, set("issuer", "TW"), "issuer", "trading_entity and cannot run a node"},
		{f, set("issuer", "in"), "issuer", "two-letter uppercase"},
		{f, set("issuing_authority", " "), "issuing_authority", "is required"},
		{f, set("issued", "14/09/2026"), "issued", "must be a date"},
		{f, set("expires", del), "expires", "is required"},
		{f, set("expires", "2026-09-13"), "expires", "must not be before issued (2026-09-14)"},
		{f, set("exporter", del), "exporter", "is required"},
		{f, set("exporter.name", del), "exporter.name", "is required"},
		{f, set("exporter.licence", ""), "exporter.licence", "is required"},
		{f, set("importer.country", "Belgium"), "importer.country", "country code"},
		{f, set("importer.vat", "BE0123"), "importer.vat", "unknown field"},
		{f, set("destination", "IN"), "destination", `must not be the issuer "IN"`},
		{f, set("destination", "TW"), "destination", "cannot run a node"},
		{f, set("destination", del), "destination", "is required"},
		{f, set("origin", []any{}), "origin", "at least 1"},
		{f, set("origin", []any{"MIXED", "ZA"}), "origin", "only origin"},
		{f, set("origin", []any{"ZA", "ZA"}), "origin[1]", "duplicate"},
		{f, set("origin", "MIXED"), "origin", "must be an array"},
		{f, set("parcels", 0), "parcels", "between 1 and 100000"},
		{f, set("parcels", "3"), "parcels", "must be an integer"},
		{f, set("lines", []any{}), "lines", "at least 1"},
		{f, set("lines", lines(21)), "lines", "21 items, limit 20"},
		{f, set("lines[0].hs_code", "7102.39"), "lines[0].hs_code", "must be one of"},
		{f, set("lines[1].hs_code", del), "lines[1].hs_code", "is required"},
		{f, set("lines[0].carats", "0"), "lines[0].carats", "greater than zero"},
		{f, set("lines[0].carats", "-1520.35"), "lines[0].carats", "not a decimal"},
		{f, set("lines[0].carats", 1520.35), "lines[0].carats", "must be a string"},
		{f, set("lines[1].value_usd", "0.00"), "lines[1].value_usd", "greater than zero"},
		{f, set("lines[1].value_usd", "3,100.00"), "lines[1].value_usd", "not a decimal"},
		{f, set("lines[0].grade", "D"), "lines[0].grade", "unknown field"},
		{f, set("lines[0]", "7102.31"), "lines[0]", "must be an object"},
		{f, set("total_carats", del), "total_carats", "is required"},
		{f, set("total_value_usd", "231152.505"), "total_value_usd", "two decimals"},
		{f, set("total_carats", "1830.00"), "total_carats", "is 1830.00, but the lines add up to 1830.35"},
		{f, set("total_value_usd", "231152.51"), "total_value_usd", "is 231152.51, but the lines add up to 231152.50"},
		{f, set("lines[1].carats", "310.01"), "total_carats", "is 1830.35, but the lines add up to 1830.36"},
		{f, set("signature", "x"), "signature", "unknown field"},
	})
}

// TestCertificateTotalsSkippedOnBadLine checks that an invalid line is
// reported alone, not also as a totals mismatch it would cause.
func TestCertificateTotalsSkippedOnBadLine(t *testing.T) {
	body := mutated(t, "certificate.json", set("lines[1].carats", "abc"))
	_, err := ParseCertificate(body)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Field != "lines[1].carats" {
		t.Errorf("err %v, want only lines[1].carats", err)
	}
}

func TestCertificateTotalsOverflow(t *testing.T) {
	const big = "92233720368547758.07" // math.MaxInt64 hundredths
	body := mutated(t, "certificate.json", func(m map[string]any) {
		set("lines[0].carats", big)(m)
		set("lines[1].carats", big)(m)
		set("total_carats", big)(m)
	})
	_, err := ParseCertificate(body)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err %v", err)
	}
	if r, ok := ve.Reason("lines"); !ok || !strings.Contains(r, "too large") {
		t.Errorf("lines: %q; all %v", r, err)
	}
}

func TestCertificateBothTotalsWrong(t *testing.T) {
	body := mutated(t, "certificate.json", func(m map[string]any) {
		set("total_carats", "1.00")(m)
		set("total_value_usd", "1.00")(m)
	})
	_, err := ParseCertificate(body)
	if err == nil || !strings.Contains(err.Error(), `field "total_carats": is 1.00, but the lines add up to 1830.35`) ||
		!strings.Contains(err.Error(), `field "total_value_usd": is 1.00, but the lines add up to 231152.50`) {
		t.Errorf("err %v", err)
	}
}
