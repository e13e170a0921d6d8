package protocol

import (
	"strings"
	"testing"
)

// TestStatisticsStoredBeforeStillValid checks the migration promise: the
// examples written before origin, date basis, currency and the production
// split existed still validate, keep their canonical bytes and their
// natural keys, and read as "not stated".
func TestStatisticsStoredBeforeStillValid(t *testing.T) {
	body := readFile(t, examplesDir+"/trade_statistics.json")
	s, err := ParseTradeStatistics(body)
	if err != nil {
		t.Fatal(err)
	}
	if s.Origin != "" || s.DateBasis != "" || s.Conversion != (Conversion{}) {
		t.Errorf("old row reads origin %q basis %q conversion %+v, want none stated", s.Origin, s.DateBasis, s.Conversion)
	}
	if k := s.NaturalKey(); k != "trade_statistics/IN/2026-Q3/export/BE/7102.31" || k != s.CellKey() {
		t.Errorf("natural key %q, cell key %q", k, s.CellKey())
	}
	p, err := ParseProductionStatistics(readFile(t, examplesDir+"/production_statistics.json"))
	if err != nil || p.Artisanal != nil || p.Industrial != nil || p.Currency != "" {
		t.Errorf("old production row: %+v, %v", p, err)
	}
}

// TestTradeStatisticsOriginKey checks that rows of one cell split by origin
// have distinct natural keys and the same cell key.
func TestTradeStatisticsOriginKey(t *testing.T) {
	bw := mustTrade(t, func(m map[string]any) { m["origin"] = "BW" })
	mixed := mustTrade(t, func(m map[string]any) { m["origin"] = "MIXED" })
	if bw.NaturalKey() == mixed.NaturalKey() || bw.CellKey() != mixed.CellKey() {
		t.Errorf("keys %q %q, cells %q %q", bw.NaturalKey(), mixed.NaturalKey(), bw.CellKey(), mixed.CellKey())
	}
	if bw.NaturalKey() != "trade_statistics/IN/2026-Q3/export/BE/7102.31/BW" {
		t.Errorf("key %q", bw.NaturalKey())
	}
}

func mustTrade(t *testing.T, change func(map[string]any)) *TradeStatistics {
	t.Helper()
	s, err := ParseTradeStatistics(mutated(t, "trade_statistics.json", change))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStatisticsFieldErrors checks that inconsistent new members are
// refused with an error naming the member.
func TestStatisticsFieldErrors(t *testing.T) {
	for _, tt := range []struct {
		name, file, field, reason string
		change                    func(map[string]any)
	}{
		{"origin not a code", "trade_statistics.json", "origin", "country code", func(m map[string]any) { m["origin"] = "Botswana" }},
		{"basis unknown", "trade_statistics.json", "date_basis", "must be one of", func(m map[string]any) { m["date_basis"] = "shipping" }},
		{"export by import date", "trade_statistics.json", "date_basis", "cannot count by date of import", func(m map[string]any) { m["date_basis"] = "import_date" }},
		{"currency syntax", "trade_statistics.json", "currency", "ISO 4217", func(m map[string]any) { m["currency"] = "euro" }},
		{"currency alone", "trade_statistics.json", "value_original", "is required when currency is \"EUR\"", func(m map[string]any) { m["currency"] = "EUR"; m["exchange_rate_date"] = "2026-09-30" }},
		{"rate date missing", "trade_statistics.json", "exchange_rate_date", "is required", func(m map[string]any) { m["currency"] = "EUR"; m["value_original"] = "1.00" }},
		{"original without currency", "trade_statistics.json", "value_original", "without currency", func(m map[string]any) { m["value_original"] = "1.00" }},
		{"USD converted", "trade_statistics.json", "exchange_rate_date", "not converted", func(m map[string]any) { m["currency"] = "USD"; m["exchange_rate_date"] = "2026-09-30" }},
		{"nil return converted", "trade_statistics.json", "currency", "nil return", func(m map[string]any) {
			m["carats"], m["value_usd"], m["currency"] = "0", "0", "EUR"
		}},
		{"production one part", "production_statistics.json", "industrial", "is required when artisanal", func(m map[string]any) {
			m["artisanal"] = map[string]any{"carats": "1.00", "value_usd": "1.00"}
		}},
		{"production carats sum", "production_statistics.json", "carats", "artisanal and industrial add up to 11873491.00", func(m map[string]any) {
			m["artisanal"] = map[string]any{"carats": "11873491.00", "value_usd": "1887885228.00"}
			m["industrial"] = map[string]any{"carats": "0", "value_usd": "0"}
		}},
		{"production part invalid", "production_statistics.json", "industrial.value_usd", "must be greater than zero", func(m map[string]any) {
			m["artisanal"] = map[string]any{"carats": "1.00", "value_usd": "1.00"}
			m["industrial"] = map[string]any{"carats": "11873491.00", "value_usd": "0"}
		}},
		{"address bidi", "certificate.json", "exporter.address", "bidirectional", func(m map[string]any) {
			set("exporter.address", "Hoveniersstraat 2\u202e")(m)
		}},
		{"address too long", "certificate.json", "importer.address", "limit 500", func(m map[string]any) {
			set("importer.address", strings.Repeat("a", 501))(m)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			typ := exampleType(tt.file)
			err := ValidateRecord(typ, mutated(t, tt.file, tt.change))
			if err == nil || !strings.Contains(err.Error(), `"`+tt.field+`"`) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %v, want field %q: %q", err, tt.field, tt.reason)
			}
		})
	}
}
