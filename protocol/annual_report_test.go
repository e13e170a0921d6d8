package protocol

import (
	"strings"
	"testing"
)

func TestAnnualReportInvalid(t *testing.T) {
	const r = "annual_report.json"
	checkInvalid(t, AnnualReportType, []invalidCase{
		{r, set("resolves", del), "resolves", ""},
		{r, set("reporter", "EU"), "reporter", ""},
		{r, set("reporter", del), "reporter", "is required"},
		{r, set("reporter", "TW"), "reporter", "cannot run a node"},
		{r, set("year", 2002), "year", "between 2003 and"},
		{r, set("year", "2025"), "year", "must be an integer"},
		{r, set("sections", del), "sections", "is required"},
		{r, set("sections.review_visits", del), "sections.review_visits", "is required"},
		{r, set("sections.statistics", "  "), "sections.statistics", "is required"},
		{r, set("sections.enforcement", strings.Repeat("x", 20001)), "sections.enforcement", "limit 20000"},
		{r, set("sections.annex", "x"), "sections.annex", "unknown field"},
		{r, set("resolves", []any{"R9/IN/BE/2025-Q2/7102.31", "R9/IN/BE/2025-Q2/7102.31"}), "resolves[1]", "duplicate"},
		{r, set("resolves", []any{"R9 IN"}), "resolves[0]", "must be a finding id"},
		{r, set("resolves", []any{strings.Repeat("R", 129)}), "resolves[0]", "limit 128"},
		{r, set("summary", "x"), "summary", "unknown field"},
	})
}

func TestAnnualReportValues(t *testing.T) {
	a, err := ParseAnnualReport(readFile(t, examplesDir+"/annual_report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Reporter != "IN" || a.Year != 2025 || a.Filed() != (Date{2025, 1, 1}) || len(a.Resolves) != 1 ||
		!strings.HasPrefix(a.Sections.Artisanal, "Not applicable") || !a.ForEveryPartner() {
		t.Errorf("report %+v", a)
	}
	if c, ok := ClaimedAuthor(a); !ok || c != (AuthorClaim{"reporter", "IN"}) {
		t.Errorf("author %v %v", c, ok)
	}
}
