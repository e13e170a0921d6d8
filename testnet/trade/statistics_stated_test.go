package trade

import (
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// TestStatedMembers: over a few seeds of twenty nodes, some statistics
// rows state their date basis (the one the generator counts by) and a
// conversion, some do not, and some productions are split into parts
// that add up to their totals; every record stays valid (encodeItems
// parses each).
func TestStatedMembers(t *testing.T) {
	var based, unbased, converted, split int
	for seed := range int64(3) {
		p := mustGenerate(t, Options{Participants: twenty, Links: star("BE", twenty), Days: 30, Seed: seed, Now: mustTime(nows[0])})
		for _, it := range p.Items {
			v, _ := protocol.ParseRecord(it.Type, it.Record)
			switch r := v.(type) {
			case *protocol.TradeStatistics:
				want := map[string]string{protocol.FlowExport: protocol.BasisCertificateDate, protocol.FlowImport: protocol.BasisImportDate}[r.Flow]
				switch r.DateBasis {
				case "":
					unbased++
				case want:
					based++
				default:
					t.Errorf("%s counts by %s, states %s", r.NaturalKey(), want, r.DateBasis)
				}
				if r.Currency != "" {
					converted++
				}
			case *protocol.ProductionStatistics:
				if r.Artisanal != nil {
					split++
					if r.Artisanal.Carats+r.Industrial.Carats != r.Carats || r.Artisanal.ValueUSD+r.Industrial.ValueUSD != r.ValueUSD {
						t.Errorf("%s: parts do not add up: %+v %+v", r.NaturalKey(), r.Artisanal, r.Industrial)
					}
				}
			}
		}
	}
	if based == 0 || unbased == 0 || converted == 0 || split == 0 {
		t.Fatalf("rows stating a basis %d, not %d; converted %d; productions split %d: want some of each", based, unbased, converted, split)
	}
}
