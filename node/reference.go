package node

import (
	"math"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// UnitValueRange is one line of the unit-value reference as the
// unit-value rule (R8) applies it: the reference value in USD per carat
// and the band around it outside which a certificate line is an outlier.
type UnitValueRange struct {
	Origin      string       `json:"origin"`
	Year        int          `json:"year"`
	USDPerCarat protocol.USD `json:"usd_per_carat"`
	Low         protocol.USD `json:"low"`
	High        protocol.USD `json:"high"`
	Note        string       `json:"note,omitempty"`
}

// UnitValueReference returns the reference table this node's
// reconciliation uses, sorted by origin and year, with the configured
// band applied.
func (n *Node) UnitValueReference() []UnitValueRange {
	band := n.cfg.Reconcile.UnitValueBand
	rows := reconcile.DefaultUnitValues().Rows()
	out := make([]UnitValueRange, 0, len(rows))
	for _, r := range rows {
		v := float64(r.USDPerCarat)
		out = append(out, UnitValueRange{Origin: r.Origin, Year: r.Year, USDPerCarat: r.USDPerCarat,
			Low: protocol.USD(math.Round(v / band)), High: protocol.USD(math.Round(v * band)), Note: r.Note})
	}
	return out
}
