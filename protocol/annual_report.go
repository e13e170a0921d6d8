package protocol

import "strconv"

// AnnualReportType is the record type name of a Participant's annual report
// on its implementation of the KPCS.
const AnnualReportType = "annual_report"

// Annual report limits.
const (
	maxReportSection  = 20000 // characters of one section's text
	maxReportResolves = 500   // finding ids one report may cite
)

func init() {
	register(AnnualReportType, "annual report on KPCS implementation (KPCS Section VI ¶11)", (*checker).annualReport)
}

// AnnualReport is the body of an "annual_report" record: a Participant's
// yearly account of how it implements the KPCS, with the sections the
// Guidelines on annual reports ask for. Resolves cites the ids of the
// reconciliation findings the report answers ("R9/IN/BE/2011-Q3/7102.31").
type AnnualReport struct {
	Version    int            `json:"version"`  // 1
	Reporter   string         `json:"reporter"` // participant code of the reporting authority
	Year       int            `json:"year"`     // the calendar year the report covers
	Sections   ReportSections `json:"sections"`
	Resolves   []string       `json:"resolves,omitempty"`
	Supersedes *Supersedes    `json:"supersedes,omitempty"`
}

// ReportSections are the sections of an annual report, each free text
// (a section that does not apply says so: "not applicable").
type ReportSections struct {
	Legislation   string `json:"legislation_institutions"` // legislation and institutions
	Regime        string `json:"import_export_regime"`     // import/export regime and controls
	Statistics    string `json:"statistics"`               // statistics
	Enforcement   string `json:"enforcement"`              // enforcement and infringements
	ReviewVisits  string `json:"review_visits"`            // follow-up to review visits
	Discrepancies string `json:"discrepancies"`            // resolution of trade and statistical discrepancies
	Artisanal     string `json:"artisanal_production"`     // artisanal and alluvial production
}

// ParseAnnualReport decodes and strictly validates an annual report body,
// reporting every problem in a *[ValidationError]. On error the report is
// nil.
func ParseAnnualReport(body []byte) (*AnnualReport, error) {
	return parseBody(AnnualReportType, body, (*checker).annualReport)
}

func (c *checker) annualReport(o *object) *AnnualReport {
	if o == nil || !o.version() {
		return nil
	}
	r := &AnnualReport{Version: 1}
	r.Reporter = o.participant("reporter", true, true)
	r.Year = int(o.integer("year", true, 2003, 9999))
	r.Sections = reportSections(o.obj("sections", true))
	r.Resolves = o.strings("resolves", false, 0, maxReportResolves, 128, func(path, s string) bool {
		if !isReference(s) {
			c.add(path, "must be a finding id of letters, digits and . _ / -, such as \"R9/IN/BE/2011-Q3/7102.31\"")
			return false
		}
		return true
	})
	r.Supersedes = o.supersedes()
	o.done()
	return r
}

func reportSections(o *object) ReportSections {
	if o == nil {
		return ReportSections{}
	}
	s := ReportSections{
		Legislation:   o.text("legislation_institutions", true, maxReportSection),
		Regime:        o.text("import_export_regime", true, maxReportSection),
		Statistics:    o.text("statistics", true, maxReportSection),
		Enforcement:   o.text("enforcement", true, maxReportSection),
		ReviewVisits:  o.text("review_visits", true, maxReportSection),
		Discrepancies: o.text("discrepancies", true, maxReportSection),
		Artisanal:     o.text("artisanal_production", true, maxReportSection),
	}
	o.done()
	return s
}

// NaturalKey returns "annual_report/<reporter>/<year>".
func (r *AnnualReport) NaturalKey() string {
	return AnnualReportType + "/" + r.Reporter + "/" + strconv.Itoa(r.Year)
}

// TypeName returns [AnnualReportType].
func (r *AnnualReport) TypeName() string { return AnnualReportType }

// Noun returns "annual report".
func (r *AnnualReport) Noun() string { return "annual report" }

// Replaces returns the report this one corrects, or nil.
func (r *AnnualReport) Replaces() *Supersedes { return r.Supersedes }

// Parties reports that the operator names the readers: chosen partners,
// or every partner when it names none.
func (r *AnnualReport) Parties() ([]string, bool) { return operatorNamed() }

// ForEveryPartner reports true: the whole KP reads annual reports.
func (r *AnnualReport) ForEveryPartner() bool { return true }

// Filed returns the first day of the year covered.
func (r *AnnualReport) Filed() Date { return Date{Year: r.Year, Month: 1, Day: 1} }

// Concerns returns the reporter.
func (r *AnnualReport) Concerns() []string { return []string{r.Reporter} }

// Author returns the reporter.
func (r *AnnualReport) Author() (AuthorClaim, bool) {
	return AuthorClaim{"reporter", r.Reporter}, true
}
