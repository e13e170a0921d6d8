package node

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// KPStatisticsTable is the quarterly statistics a KP authority submits
// (KPCS Annex III), computed from the current records this node holds,
// next to the trade statistics it submitted for the quarter.
type KPStatisticsTable struct {
	Period string            `json:"period"`
	Basis  []string          `json:"basis"` // how each flow was computed
	Rows   []KPStatisticsRow `json:"rows"`
	Notes  []string          `json:"notes"` // what the table leaves out, and why
}

// KPStatisticsRow is one line of the table: trade with one partner in one
// HS code, computed from certificates, and the figures this node submitted
// for the same cell, if any.
type KPStatisticsRow struct {
	Flow         string          `json:"flow"` // export or import
	Partner      string          `json:"partner"`
	HSCode       string          `json:"hs_code"`
	Carats       protocol.Carats `json:"carats"`
	ValueUSD     protocol.USD    `json:"value_usd"`
	Certificates int             `json:"certificates"`
	// Submitted is this node's current trade_statistics record for the
	// cell; nil when it submitted none.
	Submitted *KPSubmitted `json:"submitted,omitempty"`
	// Differs names the measures (carats, value_usd, certificates) in
	// which computed and submitted figures differ.
	Differs []string `json:"differs,omitempty"`
	Note    string   `json:"note,omitempty"`
}

// KPSubmitted is a submitted statistics row: its figures and its record.
// Seq and Item are 0 for the sum of several rows (the EU's, folded at the
// Union's level, or a cell's rows by origin).
type KPSubmitted struct {
	Carats       protocol.Carats `json:"carats"`
	ValueUSD     protocol.USD    `json:"value_usd"`
	Certificates int             `json:"certificates"`
	Seq          uint64          `json:"seq"`
	Item         int             `json:"item"`
}

// The basis of each flow, as the table states it (DOMAIN.md: exports by
// date of export, imports by date of import).
const (
	exportBasis = "exports: current certificates this node issued, by date of export (the shipped date of its pre-notification, else the issue date), the certificates' lines"
	importBasis = "imports: this node's current import confirmations, by date received, with the lines of the certificates they confirm"
)

type cellKey struct{ flow, partner, hs string }

// kpTable accumulates a KP statistics table.
type kpTable struct {
	q     protocol.Quarter
	cells map[cellKey]*KPStatisticsRow
	notes []string
}

// KPStatistics computes this node's quarterly statistics from the current
// records it holds: exports from the certificates it issued, by date of
// export; imports from its own import confirmations, by date received,
// with the lines of the certificates they confirm. Each row carries the
// figures this node submitted for it, and says where they differ.
func (n *Node) KPStatistics(q protocol.Quarter) (KPStatisticsTable, error) {
	t := &kpTable{q: q, cells: map[cellKey]*KPStatisticsRow{}}
	certs, err := n.currentRecords(protocol.CertificateType, nil)
	if err != nil {
		return KPStatisticsTable{}, err
	}
	steps := []func() error{
		func() error { return n.kpExports(t, certs) },
		func() error { return n.kpImports(t, certs) },
		func() error { return n.kpSubmitted(t) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return KPStatisticsTable{}, err
		}
	}
	return t.table(), nil
}

// kpExports adds the certificates this node issued, by date of export.
func (n *Node) kpExports(t *kpTable, certs []HeldRecord) error {
	shipped, err := n.ownShipped()
	if err != nil {
		return err
	}
	for _, h := range certs {
		c := h.Value.(*protocol.Certificate)
		if !n.ownRecord(h.Feed, c.Issuer) {
			continue
		}
		date := c.Issued
		if d, ok := shipped[c.Number]; ok {
			date = d
		}
		if t.q.Contains(date) {
			t.add("export", c.Destination, c)
		}
	}
	return nil
}

// ownShipped returns the shipped date of this node's current
// pre-notifications, by certificate number.
func (n *Node) ownShipped() (map[string]protocol.Date, error) {
	pres, err := n.currentRecords(protocol.PreNotificationType, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]protocol.Date{}
	for _, h := range pres {
		if p := h.Value.(*protocol.PreNotification); n.ownRecord(h.Feed, p.Issuer) {
			out[p.CertificateNumber] = p.Shipped
		}
	}
	return out, nil
}

// kpImports adds the certificates this node confirmed receiving in the
// quarter.
func (n *Node) kpImports(t *kpTable, certs []HeldRecord) error {
	confs, err := n.currentRecords(protocol.ImportConfirmationType, nil)
	if err != nil {
		return err
	}
	byKey := make(map[string]*protocol.Certificate, len(certs))
	for _, h := range certs {
		c := h.Value.(*protocol.Certificate)
		byKey[c.Issuer+"/"+c.Number] = c
	}
	var missing, differ []string
	for _, h := range confs {
		ic := h.Value.(*protocol.ImportConfirmation)
		if !n.ownRecord(h.Feed, h.Feed) || !t.q.Contains(ic.Received) {
			continue
		}
		c := byKey[ic.Issuer+"/"+ic.CertificateNumber]
		switch {
		case c == nil:
			missing = append(missing, fmt.Sprintf("%s %s (%s ct received)", ic.Issuer, ic.CertificateNumber, ic.CaratsReceived))
			continue
		case c.TotalCarats != ic.CaratsReceived:
			differ = append(differ, fmt.Sprintf("%s: %s ct received, %s ct on the certificate", c.Number, ic.CaratsReceived, c.TotalCarats))
		}
		t.add("import", ic.Issuer, c)
	}
	t.notef(missing, "%d import confirmation(s) of the quarter cite a certificate this node does not hold, and are not in the table: %s")
	t.notef(differ, "%d certificate(s) confirmed with other carats than certified; the table counts the certificate's lines: %s")
	return nil
}

// kpSubmitted sets the figures of this node's current trade statistics
// for the quarter beside the computed ones.
func (n *Node) kpSubmitted(t *kpTable) error {
	stats, err := n.currentRecords(protocol.TradeStatisticsType, nil)
	if err != nil {
		return err
	}
	rows := n.ownSubmitted(stats, t.q)
	submitted := 0
	for k, sub := range rows {
		r := t.cell(k.cell.flow, k.cell.partner, k.cell.hs)
		r.Submitted = addSubmitted(r.Submitted, sub)
		submitted++
	}
	t.foldUnion()
	t.compare(submitted)
	return nil
}

// submittedKey is the natural key of a trade statistics row of a quarter.
// Rows of one cell that differ only in origin are summed into the cell.
type submittedKey struct {
	cell     cellKey
	reporter string
	origin   string
}

// ownSubmitted returns this node's current trade statistics rows of q,
// one per natural key, the last in feed order (as reconciliation takes
// them); a cell reported as this node and as the EU has two.
func (n *Node) ownSubmitted(stats []HeldRecord, q protocol.Quarter) map[submittedKey]*KPSubmitted {
	rows := map[submittedKey]*KPSubmitted{}
	for _, h := range stats {
		s := h.Value.(*protocol.TradeStatistics)
		if n.ownRecord(h.Feed, s.Reporter) && s.Period == q {
			rows[submittedKey{cellKey{s.Flow, s.Partner, s.HSCode}, s.Reporter, s.Origin}] = &KPSubmitted{
				Carats: s.Carats, ValueUSD: s.ValueUSD, Certificates: s.Certificates, Seq: h.Seq, Item: h.Item}
		}
	}
	return rows
}

func (t *kpTable) cell(flow, partner, hs string) *KPStatisticsRow {
	k := cellKey{flow, partner, hs}
	r := t.cells[k]
	if r == nil {
		r = &KPStatisticsRow{Flow: flow, Partner: partner, HSCode: hs}
		t.cells[k] = r
	}
	return r
}

// add counts a certificate's lines; the certificate once per HS code.
func (t *kpTable) add(flow, partner string, c *protocol.Certificate) {
	seen := map[string]bool{}
	for _, l := range c.Lines {
		r := t.cell(flow, partner, l.HSCode)
		r.Carats += l.Carats
		r.ValueUSD += l.ValueUSD
		if !seen[l.HSCode] {
			r.Certificates++
			seen[l.HSCode] = true
		}
	}
}

// compare marks each row whose computed and submitted figures differ, and
// notes a quarter with statistics but no certificates, or the reverse.
func (t *kpTable) compare(submitted int) {
	computed := 0
	for _, r := range t.cells {
		if r.Certificates > 0 {
			computed++
		}
		rowNote(r, submitted > 0)
	}
	switch {
	case computed == 0 && submitted > 0:
		t.notes = append(t.notes, fmt.Sprintf("no certificate of %s counts in the quarter: this node holds %d submitted statistics row(s) but nothing to compute them from (certificates or import confirmations of the quarter missing?)", t.q, submitted))
	case computed > 0 && submitted == 0:
		t.notes = append(t.notes, fmt.Sprintf("this node has submitted no trade statistics for %s: nothing to compare the computed figures with", t.q))
	}
}

// rowNote fills a row's Differs and Note, after any note the row has.
func rowNote(r *KPStatisticsRow, anySubmitted bool) {
	prior := r.Note
	r.Note = ""
	defer func() {
		if prior != "" && r.Note != "" {
			r.Note = prior + "; " + r.Note
		} else if prior != "" {
			r.Note = prior
		}
	}()
	s := r.Submitted
	switch {
	case s == nil && anySubmitted:
		r.Note = "computed from certificates, but not in the submitted statistics"
		return
	case s == nil:
		return
	case r.Certificates == 0 && s.Certificates > 0:
		r.Note = "submitted, but no certificate of this node counts in the cell"
	}
	var parts []string
	if r.Carats != s.Carats {
		r.Differs = append(r.Differs, "carats")
		parts = append(parts, fmt.Sprintf("carats computed %s, submitted %s", r.Carats, s.Carats))
	}
	if r.ValueUSD != s.ValueUSD {
		r.Differs = append(r.Differs, "value_usd")
		parts = append(parts, fmt.Sprintf("value computed USD %s, submitted USD %s", r.ValueUSD, s.ValueUSD))
	}
	if r.Certificates != s.Certificates {
		r.Differs = append(r.Differs, "certificates")
		parts = append(parts, fmt.Sprintf("certificates computed %d, submitted %d", r.Certificates, s.Certificates))
	}
	if len(parts) > 0 && r.Note == "" {
		r.Note = "differs from the submitted statistics: " + strings.Join(parts, "; ")
	}
}

// notef adds a note listing items (at most ten), when there are any.
func (t *kpTable) notef(items []string, format string) {
	if len(items) == 0 {
		return
	}
	list := strings.Join(items[:min(len(items), 10)], ", ")
	if len(items) > 10 {
		list += fmt.Sprintf(", … and %d more", len(items)-10)
	}
	t.notes = append(t.notes, fmt.Sprintf(format, len(items), list))
}

func (t *kpTable) table() KPStatisticsTable {
	rows := make([]KPStatisticsRow, 0, len(t.cells))
	for _, r := range t.cells {
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(a, b KPStatisticsRow) int {
		return cmp.Or(cmp.Compare(a.Flow, b.Flow), cmp.Compare(a.Partner, b.Partner), cmp.Compare(a.HSCode, b.HSCode))
	})
	notes := t.notes
	if notes == nil {
		notes = []string{}
	}
	return KPStatisticsTable{Period: t.q.String(), Basis: []string{exportBasis, importBasis}, Rows: rows, Notes: notes}
}
