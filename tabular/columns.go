package tabular

import (
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// cellKind says how a CSV cell becomes a JSON member and back.
type cellKind int

const (
	cellText      cellKind = iota // single-line text
	cellMultiline                 // text that may span lines (a quoted cell)
	cellCode                      // participant or country code, uppercased
	cellNumber                    // certificate number, uppercased
	cellPeriod                    // quarter or half-year, uppercased
	cellFlow                      // a lowercase word (flow, date basis), lowercased
	cellHSCode                    // HS code
	cellDate                      // YYYY-MM-DD
	cellAmount                    // decimal amount, a JSON string
	cellInteger                   // a JSON integer
	cellBool                      // true/false/yes/no, a JSON boolean
	cellOrigin                    // country codes separated by ';', or MIXED
	cellItemNo                    // an item number counting from 1, a JSON integer counting from 0
	cellFiles                     // paths of files separated by ';', the uploaded files' members (files.go)
	cellList                      // strings separated by ';', a JSON array of strings, read as written
)

// linePrefix starts the path of a column of a certificate line.
const linePrefix = "lines[]."

// tableColumn is a Column with where its value goes in a body.
type tableColumn struct {
	name, doc string
	required  bool
	// path is the member's path in the body ("number", "exporter.name"),
	// linePrefix and the member for a certificate line, or "" for the
	// line column, which is not in the body.
	path     string
	cell     cellKind
	omitZero bool // leave the member out when it is 0
	// importOnly columns are read but no longer written by exports
	// (supersedes_item, deprecated for supersedes_item_no).
	importOnly bool
}

// tableKind is a Kind with its columns' paths and its natural key.
type tableKind struct {
	name, typ string
	columns   []tableColumn
	key       []string // columns of the natural key, for duplicates
	optKey    []string // optional columns of the natural key (blank is a value)
	lines     bool     // one row per certificate line
}

func (tk *tableKind) kind() Kind {
	k := Kind{Name: tk.name, Type: tk.typ, Columns: make([]Column, len(tk.columns))}
	for i, c := range tk.columns {
		k.Columns[i] = Column{Name: c.name, Doc: c.doc, Required: c.required}
	}
	return k
}

// column returns the index of the column named name, or -1.
func (tk *tableKind) column(name string) int {
	for i, c := range tk.columns {
		if c.name == name {
			return i
		}
	}
	return -1
}

// columnOf returns the index of the column whose path is path, or -1;
// a column exports write goes before a deprecated import-only one, so that
// problems name the column a clerk sees in an exported file.
func (tk *tableKind) columnOf(path string) int {
	found := -1
	for i, c := range tk.columns {
		if c.path != path || path == "" {
			continue
		}
		if !c.importOnly {
			return i // the column exports write, over a deprecated one
		}
		if found < 0 {
			found = i
		}
	}
	return found
}

// columnNames lists the names of the columns.
func (tk *tableKind) columnNames() string {
	names := make([]string, len(tk.columns))
	for i, c := range tk.columns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

func col(name string, required bool, path string, cell cellKind, doc string) tableColumn {
	return tableColumn{name: name, doc: doc, required: required, path: path, cell: cell}
}

// traderColumns are the four columns of an exporter or importer.
func traderColumns(role string) []tableColumn {
	return []tableColumn{
		col(role+"_name", true, role+".name", cellText, "the "+role+"'s name"),
		col(role+"_licence", true, role+".licence", cellText, "the "+role+"'s licence or registration id"),
		col(role+"_country", true, role+".country", cellCode, "the "+role+"'s country code"),
		col(role+"_address", false, role+".address", cellMultiline, "the "+role+"'s address; may span lines"),
	}
}

// conversionColumns say what a value in US dollars was converted from.
var conversionColumns = []tableColumn{
	col("currency", false, "currency", cellCode, "ISO 4217 code of the currency the value was stated in (EUR); USD or empty if not converted"),
	col("value_original", false, "value_original", cellAmount, "the value in that currency; required with a currency other than USD"),
	col("exchange_rate_date", false, "exchange_rate_date", cellDate, "date of the exchange rate used; required with a currency other than USD"),
}

// supersedesColumns name the record a row corrects.
var supersedesColumns = []tableColumn{
	col("supersedes_seq", false, "supersedes.seq", cellInteger, "for a correction: seq of the entry it replaces"),
	{name: "supersedes_item", doc: "deprecated, read but no longer exported: the item's index counting from 0 (0 is the first item); use supersedes_item_no", path: "supersedes.item", cell: cellInteger, omitZero: true, importOnly: true},
	{name: "supersedes_item_no", doc: "for a correction of a batch item: the item's number counting from 1, as the dashboard shows it (blank for a lone record or the first item)", path: "supersedes.item", cell: cellItemNo},
}

func columns(groups ...[]tableColumn) []tableColumn {
	var out []tableColumn
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// tableKinds are the importable kinds, in documentation order.
var tableKinds = []*tableKind{
	{
		name: "certificates", typ: protocol.CertificateType, lines: true,
		key: []string{"number", "issuer"},
		columns: columns(
			[]tableColumn{
				col("number", true, "number", cellNumber, "certificate number, such as IN0001234"),
				col("issuer", true, "issuer", cellCode, "participant code of the issuing authority"),
				col("issuing_authority", true, "issuing_authority", cellText, "name of the issuing authority"),
				col("issued", true, "issued", cellDate, "date of issue"),
				col("expires", true, "expires", cellDate, "date of expiry"),
			},
			traderColumns("exporter"),
			traderColumns("importer"),
			[]tableColumn{
				col("destination", true, "destination", cellCode, "participant code of the destination"),
				col("origin", true, "origin", cellOrigin, "country codes separated by ; (BW;CD), or MIXED"),
				col("parcels", true, "parcels", cellInteger, "number of parcels"),
				col("line", false, "", cellInteger, "line number within the certificate, 1..20"),
				col("hs_code", true, linePrefix+"hs_code", cellHSCode, "HS code of the line: 7102.10, 7102.21 or 7102.31"),
				col("carats", true, linePrefix+"carats", cellAmount, "carats of the line"),
				col("value_usd", true, linePrefix+"value_usd", cellAmount, "value of the line in US dollars"),
				col("total_carats", false, "total_carats", cellAmount, "certificate total; computed from the lines when absent"),
				col("total_value_usd", false, "total_value_usd", cellAmount, "certificate total; computed from the lines when absent"),
			},
			supersedesColumns,
			[]tableColumn{col(FilesColumn, false, "attachments", cellFiles, "files to attach (the scan, photos): paths separated by ; relative to the table's folder; kpnode import uploads them")},
		),
	},
	{
		name: "pre-notifications", typ: protocol.PreNotificationType,
		key: []string{"certificate_number", "issuer"},
		columns: columns(
			[]tableColumn{
				col("certificate_number", true, "certificate_number", cellNumber, "number of the certificate"),
				col("issuer", true, "issuer", cellCode, "participant code of the exporting authority"),
				col("carats", true, "carats", cellAmount, "carats shipped"),
				col("value_usd", true, "value_usd", cellAmount, "value in US dollars"),
				col("origin", true, "origin", cellOrigin, "country codes separated by ; (BW;CD), or MIXED"),
			},
			traderColumns("exporter"),
			traderColumns("importer"),
			[]tableColumn{
				col("parcels", true, "parcels", cellInteger, "number of parcels"),
				col("shipped", true, "shipped", cellDate, "date of shipment"),
			},
			supersedesColumns,
		),
	},
	{
		name: "confirmations", typ: protocol.ImportConfirmationType,
		key: []string{"certificate_number", "issuer"},
		columns: columns(
			[]tableColumn{
				col("certificate_number", true, "certificate_number", cellNumber, "number of the certificate"),
				col("issuer", true, "issuer", cellCode, "participant code of the authority that issued it"),
				col("parcels_received", true, "parcels_received", cellInteger, "parcels received"),
				col("carats_received", true, "carats_received", cellAmount, "carats received"),
			},
			traderColumns("importer"),
			traderColumns("exporter"),
			[]tableColumn{
				col("received", true, "received", cellDate, "date received"),
				col("seals_intact", true, "seals_intact", cellBool, "true or false (yes or no)"),
				col("contents_match", true, "contents_match", cellBool, "true or false (yes or no)"),
				col("remarks", false, "remarks", cellMultiline, "required when seals_intact or contents_match is false"),
			},
			supersedesColumns,
		),
	},
	{
		name: "trade-statistics", typ: protocol.TradeStatisticsType,
		key:    []string{"reporter", "period", "flow", "partner", "hs_code"},
		optKey: []string{"origin"},
		columns: columns(
			[]tableColumn{
				col("reporter", true, "reporter", cellCode, "participant code of the reporting authority"),
				col("period", true, "period", cellPeriod, "quarter, such as 2011-Q3"),
				col("flow", true, "flow", cellFlow, "import or export"),
				col("partner", true, "partner", cellCode, "provenance for imports, destination for exports"),
				col("hs_code", true, "hs_code", cellHSCode, "7102.10, 7102.21 or 7102.31"),
				col("origin", false, "origin", cellCode, "country of origin (BW), or MIXED; empty if not stated"),
				col("carats", true, "carats", cellAmount, "carats; 0 for a nil return"),
				col("value_usd", true, "value_usd", cellAmount, "value in US dollars; 0 exactly when carats is 0"),
			},
			conversionColumns,
			[]tableColumn{
				col("certificates", true, "certificates", cellInteger, "number of certificates"),
				col("date_basis", false, "date_basis", cellFlow, "export_date, import_date or certificate_issue_date; empty if not stated"),
			},
			supersedesColumns,
		),
	},
	{
		name: "production-statistics", typ: protocol.ProductionStatisticsType,
		key: []string{"reporter", "period"},
		columns: columns(
			[]tableColumn{
				col("reporter", true, "reporter", cellCode, "participant code of the producer"),
				col("period", true, "period", cellPeriod, "half-year, such as 2011-H2"),
				col("carats", true, "carats", cellAmount, "carats produced; 0 for a nil return"),
				col("value_usd", true, "value_usd", cellAmount, "value in US dollars; 0 exactly when carats is 0"),
			},
			conversionColumns,
			splitColumns("artisanal", "artisanal and alluvial"),
			splitColumns("industrial", "industrial"),
			supersedesColumns,
		),
	},
	annualReportKind,
}

// annualReportKind is the table of annual reports (docs/records.md §17):
// one row per report, each section a cell that may span lines. It is not
// in [protocol.BatchTypes]: an import publishes each report as its own
// entry, which every node reads.
var annualReportKind = &tableKind{
	name: "annual-reports", typ: protocol.AnnualReportType,
	key: []string{"reporter", "year"},
	columns: []tableColumn{
		col("reporter", true, "reporter", cellCode, "participant code of the reporting authority"),
		col("year", true, "year", cellInteger, "the calendar year the report covers, such as 2025"),
		col("legislation_institutions", true, "sections.legislation_institutions", cellMultiline, "legislation and institutions; may span lines"),
		col("import_export_regime", true, "sections.import_export_regime", cellMultiline, "import/export regime and controls; may span lines"),
		col("statistics", true, "sections.statistics", cellMultiline, "statistics; may span lines"),
		col("enforcement", true, "sections.enforcement", cellMultiline, "enforcement and infringements; may span lines"),
		col("review_visits", true, "sections.review_visits", cellMultiline, "follow-up to review visits; may span lines"),
		col("discrepancies", true, "sections.discrepancies", cellMultiline, "resolution of trade and statistical discrepancies; may span lines"),
		col("artisanal_production", true, "sections.artisanal_production", cellMultiline, "artisanal and alluvial production (\"not applicable\" if none); may span lines"),
		col("resolves", false, "resolves", cellList, "ids of the findings the report answers, separated by ; (R9/IN/BE/2025-Q2/7102.31;R11/IN/annual-report/missing)"),
		col("supersedes_seq", false, "supersedes.seq", cellInteger, "for a correction: seq of the report's entry it replaces"),
	},
}

// splitColumns are the carats and value of one part of production.
func splitColumns(part, what string) []tableColumn {
	return []tableColumn{
		col(part+"_carats", false, part+".carats", cellAmount, "carats of "+what+" production; with the other part, adding up to carats"),
		col(part+"_value_usd", false, part+".value_usd", cellAmount, "value of "+what+" production in US dollars; adding up to value_usd with the other part"),
	}
}
