package node

import (
	"math"

	"github.com/kpnode/kpnode/protocol"
)

// UnitValueRange is one line of the unit-value reference as the
// unit-value rule (R8) applies it: the reference value in USD per carat
// and the band around it outside which a certificate line is an outlier.
type UnitValueRange struct {
	Origin      string       `json:"origin"`
	HSCode      string       `json:"hs_code"` // 7102.10, 7102.21, 7102.31, or "all" for an all-quality average
	Year        int          `json:"year"`
	USDPerCarat protocol.USD `json:"usd_per_carat"`
	Low         protocol.USD `json:"low"`
	High        protocol.USD `json:"high"`
	Note        string       `json:"note,omitempty"` // the row's source
	Table       string       `json:"table"`          // TableDefault or TableOperator
	File        string       `json:"file,omitempty"` // the operator's file, for its rows
}

// UnitValueReference returns the reference table this node's
// reconciliation uses (the built-in default with the operator's
// valuation table laid over it), sorted by origin, HS code and year, with
// the configured band applied.
func (n *Node) UnitValueReference() []UnitValueRange {
	band := n.cfg.Reconcile.UnitValueBand
	t := n.Valuation()
	out := make([]UnitValueRange, 0, len(t.Rows))
	for _, r := range t.Rows {
		v := float64(r.USDPerCarat)
		u := UnitValueRange{Origin: r.Origin, HSCode: r.HSCode, Year: r.Year, USDPerCarat: r.USDPerCarat,
			Low: protocol.USD(math.Round(v / band)), High: protocol.USD(math.Round(v * band)), Note: r.Source, Table: r.Table}
		if r.Table == TableOperator && t.Operator != nil {
			u.File = t.Operator.File
		}
		out = append(out, u)
	}
	return out
}
