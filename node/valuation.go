package node

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/store"
)

// valuationMetaKey is the store metadata key of the operator's valuation
// table; absent, the unit-value rule (R8) uses the built-in default.
const valuationMetaKey = "reconcile/valuation"

// MaxValuationBytes caps a valuation table file: about 40,000 rows, ten
// times a Valuation Data Matrix of 60 origins, three HS codes and twenty
// years.
const MaxValuationBytes = 2 << 20

// maxValuationText bounds the file name and the "by" of a load.
const maxValuationText = 200

// Audit actions of the valuation table.
const (
	AuditValuationImport = "valuation.import" // an operator loaded a valuation table
	AuditValuationReset  = "valuation.reset"  // an operator went back to the built-in table
)

// Where a row of the table in use comes from.
const (
	TableDefault  = "default"  // the built-in national averages (shared/data/unit-values.csv)
	TableOperator = "operator" // the operator's loaded valuation table
)

// storedValuation is the operator's valuation table as the store keeps
// it, in one metadata value: the file as loaded and where it came from.
// One value written in one transaction with its audit record, so a crash
// leaves the old table or the new one.
type storedValuation struct {
	File   string    `json:"file"`
	Loaded time.Time `json:"loaded"`
	By     string    `json:"by"`
	SHA256 string    `json:"sha256"`
	CSV    string    `json:"csv"`
}

// ValuationSource says which operator file a table came from.
type ValuationSource struct {
	File   string    `json:"file"`
	Loaded time.Time `json:"loaded"`
	By     string    `json:"by"`     // who loaded it: "api token", or the dashboard session
	SHA256 string    `json:"sha256"` // of the file as loaded
	Rows   int       `json:"rows"`
}

// ValuationRow is one row of the unit-value reference table in use.
type ValuationRow struct {
	Origin      string       `json:"origin"`  // a participant code, or WORLD
	HSCode      string       `json:"hs_code"` // 7102.10, 7102.21, 7102.31, or "all"
	Year        int          `json:"year"`
	USDPerCarat protocol.USD `json:"usd_per_carat"`
	Source      string       `json:"source"`
	Table       string       `json:"table"` // TableDefault or TableOperator
}

// ValuationTable is the unit-value reference table R8 uses: the built-in
// default with the operator's table, if any, laid over it.
type ValuationTable struct {
	Operator *ValuationSource `json:"operator,omitempty"` // nil when the default is used alone
	Rows     []ValuationRow   `json:"rows"`               // by origin, HS code, year
}

// ValuationImport is an operator's request to load a valuation table.
type ValuationImport struct {
	File   string // the file's name, recorded with the table and in the audit log
	Data   []byte // the CSV file (reconcile.ParseUnitValues)
	DryRun bool   // only check the file
	By     string // who asks: the audit record's actor
}

// ValuationResult says what a load or a reset did.
type ValuationResult struct {
	File     string    `json:"file,omitempty"`
	Rows     int       `json:"rows"`     // rows of the operator's table
	Replaced int       `json:"replaced"` // of them, rows replacing a default row (same origin, HS code and year)
	DryRun   bool      `json:"dry_run"`
	Time     time.Time `json:"time,omitzero"`
	SHA256   string    `json:"sha256,omitempty"`
	Raised   int       `json:"findings_changed"` // findings raised or changed with the new table
	Cleared  int       `json:"findings_cleared"`
	// Preview lists, on a dry run, the table's rows as they would be
	// loaded, each saying whether it replaces a built-in row.
	Preview []ValuationPreviewRow `json:"preview,omitempty"`
}

// ValuationPreviewRow is a row of a table checked by a dry run.
type ValuationPreviewRow struct {
	ValuationRow
	Replaces bool `json:"replaces"` // a built-in row has its origin, HS code and year
}

// valuation holds the operator's table in use.
type valuation struct {
	mu    sync.Mutex       // serialises loads and resets, and guards the fields below
	op    *storedValuation // nil: the default alone
	table reconcile.UnitValues
}

// loadValuation reads the stored valuation table and makes it the
// reference of the reconciliation. A stored table that no longer reads
// (it was checked when loaded) is logged and the default used.
func (n *Node) loadValuation() error {
	raw, err := n.st.GetMeta(valuationMetaKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load valuation table: %w", err)
	}
	var sv storedValuation
	if err := json.Unmarshal(raw, &sv); err != nil {
		n.log.Error("stored valuation table unreadable: using the built-in table; load the file again", "err", err)
		return nil
	}
	table, err := reconcile.ParseUnitValues(sv.File, bytes.NewReader([]byte(sv.CSV)))
	if err != nil {
		n.log.Error("stored valuation table does not parse: using the built-in table; load the file again", "file", sv.File, "err", err)
		return nil
	}
	n.valuation.op, n.valuation.table = &sv, table
	n.setUnitValues(reconcile.DefaultUnitValues().With(table))
	return nil
}

// Valuation returns the unit-value reference table in use.
func (n *Node) Valuation() ValuationTable {
	v := &n.valuation
	v.mu.Lock()
	defer v.mu.Unlock()
	out := ValuationTable{Rows: []ValuationRow{}}
	ops := map[[3]string]bool{}
	for _, r := range v.table.Rows() {
		ops[rowKey(r)] = true
	}
	merged := reconcile.DefaultUnitValues()
	if v.op != nil {
		merged = merged.With(v.table)
		out.Operator = &ValuationSource{File: v.op.File, Loaded: v.op.Loaded, By: v.op.By, SHA256: v.op.SHA256, Rows: len(ops)}
	}
	for _, r := range merged.Rows() {
		t := TableDefault
		if ops[rowKey(r)] {
			t = TableOperator
		}
		out.Rows = append(out.Rows, ValuationRow{Origin: r.Origin, HSCode: r.HSCode, Year: r.Year, USDPerCarat: r.USDPerCarat, Source: r.Note, Table: t})
	}
	return out
}

func rowKey(r reconcile.UnitValueRow) [3]string {
	return [3]string{r.Origin, r.HSCode, fmt.Sprint(r.Year)}
}

// ImportValuation checks an operator's valuation table and, unless it is
// a dry run, stores it (with its audit record, in one transaction) and
// makes it, laid over the built-in default, the reference of R8 at once:
// the findings it raises or clears are reported as events. A table with
// any error is refused whole with an error wrapping
// reconcile.ErrUnitValues (a *reconcile.UnitValuesError) naming the
// file, row and column; nothing changes then.
func (n *Node) ImportValuation(req ValuationImport) (ValuationResult, error) {
	if len(req.Data) > MaxValuationBytes {
		return ValuationResult{}, fmt.Errorf("%w: valuation table %s is %d bytes, at most %d", ErrInvalidRequest, req.File, len(req.Data), MaxValuationBytes)
	}
	req.File = cmp.Or(req.File, "upload")
	for what, s := range map[string]string{"file name": req.File, "by": req.By} {
		if p := protocol.TextProblem(s, maxValuationText, false); p != "" {
			return ValuationResult{}, fmt.Errorf("%w: valuation %s %s", ErrInvalidRequest, what, p)
		}
	}
	table, err := reconcile.ParseUnitValues(req.File, bytes.NewReader(req.Data))
	if err != nil {
		return ValuationResult{}, err
	}
	if table.Len() == 0 {
		return ValuationResult{}, &reconcile.UnitValuesError{File: req.File, Row: 2, Reason: "the table has no rows"}
	}
	sum := sha256.Sum256(req.Data)
	res := ValuationResult{File: req.File, Rows: table.Len(), Replaced: replacedRows(table), DryRun: req.DryRun, SHA256: hex.EncodeToString(sum[:])}
	if req.DryRun {
		res.Preview = previewRows(table)
		return res, nil
	}
	sv := &storedValuation{File: req.File, Loaded: n.now().UTC().Truncate(time.Second), By: req.By, SHA256: res.SHA256, CSV: string(req.Data)}
	raw, err := json.Marshal(sv)
	if err != nil {
		return ValuationResult{}, err
	}
	res.Time = sv.Loaded
	ev := store.AuditEvent{Action: AuditValuationImport, Actor: req.By, Details: map[string]any{
		"file": sv.File, "sha256": sv.SHA256, "rows": res.Rows, "replaced": res.Replaced, "by": sv.By}}
	v := &n.valuation
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := n.st.PutMetaAudited(valuationMetaKey, raw, ev); err != nil {
		return ValuationResult{}, fmt.Errorf("store valuation table %s: %w", req.File, err)
	}
	v.op, v.table = sv, table
	res.Raised, res.Cleared = n.setUnitValues(reconcile.DefaultUnitValues().With(table))
	n.events.emit("valuation_changed", map[string]any{"table": TableOperator, "file": sv.File, "rows": res.Rows})
	return res, nil
}

// ResetValuation drops the operator's valuation table (with its audit
// record, in one transaction): R8 uses the built-in default alone again,
// at once. by is who asks: the audit record's actor.
func (n *Node) ResetValuation(by string) (ValuationResult, error) {
	if p := protocol.TextProblem(by, maxValuationText, false); p != "" {
		return ValuationResult{}, fmt.Errorf("%w: valuation by %s", ErrInvalidRequest, p)
	}
	v := &n.valuation
	v.mu.Lock()
	defer v.mu.Unlock()
	res := ValuationResult{Time: n.now().UTC().Truncate(time.Second)}
	d := map[string]any{"by": by, "file": nil}
	if v.op != nil {
		res.File, res.SHA256 = v.op.File, v.op.SHA256
		d["file"], d["sha256"] = v.op.File, v.op.SHA256
	}
	if err := n.st.DeleteMetaAudited(valuationMetaKey, store.AuditEvent{Action: AuditValuationReset, Actor: by, Details: d}); err != nil {
		return ValuationResult{}, fmt.Errorf("reset valuation table: %w", err)
	}
	v.op, v.table = nil, reconcile.UnitValues{}
	res.Raised, res.Cleared = n.setUnitValues(reconcile.DefaultUnitValues())
	n.events.emit("valuation_changed", map[string]any{"table": TableDefault})
	return res, nil
}

// replacedRows counts the rows of table that replace a row of the
// default (the same origin, HS code and year).
// previewRows are the rows of an operator's table, by origin, HS code
// and year, as a dry run shows them.
func previewRows(table reconcile.UnitValues) []ValuationPreviewRow {
	def := map[[3]string]bool{}
	for _, r := range reconcile.DefaultUnitValues().Rows() {
		def[rowKey(r)] = true
	}
	out := []ValuationPreviewRow{}
	for _, r := range table.Rows() {
		out = append(out, ValuationPreviewRow{Replaces: def[rowKey(r)], ValuationRow: ValuationRow{Origin: r.Origin, HSCode: r.HSCode,
			Year: r.Year, USDPerCarat: r.USDPerCarat, Source: r.Note, Table: TableOperator}})
	}
	return out
}

func replacedRows(table reconcile.UnitValues) int {
	def := map[[3]string]bool{}
	for _, r := range reconcile.DefaultUnitValues().Rows() {
		def[rowKey(r)] = true
	}
	k := 0
	for _, r := range table.Rows() {
		if def[rowKey(r)] {
			k++
		}
	}
	return k
}

// setUnitValues makes ref the reconciliation's unit-value reference and
// reports the findings it raised or cleared as events; it returns how
// many.
func (n *Node) setUnitValues(ref reconcile.UnitValues) (raised, cleared int) {
	n.findings.mu.Lock()
	changed, gone := n.findings.st.SetUnitValues(ref)
	n.findings.mu.Unlock()
	for _, f := range changed {
		n.events.emit("finding_raised", map[string]any{"id": f.ID, "rule": f.Rule, "severity": string(f.Severity), "partner": f.Partner})
	}
	for _, id := range gone {
		n.events.emit("finding_cleared", map[string]any{"id": id})
	}
	return len(changed), len(gone)
}
