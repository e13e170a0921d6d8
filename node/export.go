package node

import (
	"cmp"
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// ExportFilter selects records to export. Zero fields select everything.
type ExportFilter struct {
	From, To protocol.Date // by the record's own date (issued, shipped, received, period start)
	Partner  string        // the other participant of the record
}

// Export returns the bodies of the records of type typ this node holds,
// its own and its partners', that match f, in feed order. The bodies
// import back as they are.
func (n *Node) Export(typ string, f ExportFilter) ([][]byte, error) {
	held, err := n.heldRecords(typ)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, h := range held {
		date, parties := recordFacets(h.Value)
		if !f.From.IsZero() && date.Before(f.From) || !f.To.IsZero() && date.After(f.To) {
			continue
		}
		if f.Partner != "" && !slices.Contains(parties, f.Partner) {
			continue
		}
		out = append(out, h.Body)
	}
	return out, nil
}

// recordFacets returns the date a record is filed under and the
// participants it concerns.
func recordFacets(v any) (protocol.Date, []string) {
	switch r := v.(type) {
	case *protocol.Certificate:
		return r.Issued, []string{r.Issuer, r.Destination}
	case *protocol.PreNotification:
		return r.Shipped, []string{r.Issuer, r.Importer.Country}
	case *protocol.ImportConfirmation:
		return r.Received, []string{r.Issuer, r.Importer.Country}
	case *protocol.TradeStatistics:
		return r.Period.Start(), []string{r.Reporter, r.Partner}
	case *protocol.ProductionStatistics:
		return r.Period.Start(), []string{r.Reporter}
	}
	return protocol.Date{}, nil
}

// KPStatisticsRow is one line of the quarterly statistics a KP authority
// submits: its trade with one partner in one HS code, from the
// certificates.
type KPStatisticsRow struct {
	Flow         string          `json:"flow"` // export or import
	Partner      string          `json:"partner"`
	HSCode       string          `json:"hs_code"`
	Carats       protocol.Carats `json:"carats"`
	ValueUSD     protocol.USD    `json:"value_usd"`
	Certificates int             `json:"certificates"`
}

// KPStatistics computes this node's quarterly statistics from the
// certificates it holds: exports from the certificates it issued in the
// quarter, imports from the certificates addressed to it.
func (n *Node) KPStatistics(q protocol.Quarter) ([]KPStatisticsRow, error) {
	held, err := n.heldRecords(protocol.CertificateType)
	if err != nil {
		return nil, err
	}
	rows := map[[3]string]*KPStatisticsRow{}
	for _, h := range held {
		c, ok := h.Value.(*protocol.Certificate)
		if !ok || !q.Contains(c.Issued) {
			continue
		}
		flow, partner := "export", c.Destination
		switch n.cfg.Participant {
		case c.Issuer:
		case c.Destination:
			flow, partner = "import", c.Issuer
		default:
			continue
		}
		addCertificate(rows, flow, partner, c)
	}
	return sortedRows(rows), nil
}

func addCertificate(rows map[[3]string]*KPStatisticsRow, flow, partner string, c *protocol.Certificate) {
	seen := map[string]bool{}
	for _, l := range c.Lines {
		k := [3]string{flow, partner, l.HSCode}
		r := rows[k]
		if r == nil {
			r = &KPStatisticsRow{Flow: flow, Partner: partner, HSCode: l.HSCode}
			rows[k] = r
		}
		r.Carats += l.Carats
		r.ValueUSD += l.ValueUSD
		if !seen[l.HSCode] {
			r.Certificates++
			seen[l.HSCode] = true
		}
	}
}

func sortedRows(rows map[[3]string]*KPStatisticsRow) []KPStatisticsRow {
	out := make([]KPStatisticsRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b KPStatisticsRow) int {
		return cmp.Or(cmp.Compare(a.Flow, b.Flow), cmp.Compare(a.Partner, b.Partner), cmp.Compare(a.HSCode, b.HSCode))
	})
	return out
}
