package api

import (
	"strings"
	"testing"
)

// TestDashboardUnitReferenceNamesTable: the unit-value chart names the
// reference its band comes from, with its HS code, year, source and
// table: the built-in one, then the operator's loaded valuation table.
func TestDashboardUnitReferenceNamesTable(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	ctx := newBrowser(t)
	importFile(t, in, "certificates", "", "../docs/examples/import/certificates.csv")
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	clickLink(t, tab, "open Charts", "#nav", "Charts")
	// The chart opens on mixed origins' gem lines: the world's
	// all-quality average is their floor only.
	waitFor(t, tab, "the built-in reference", containsText("#unit-reference", "WORLD all qualities 2022"))
	if got := textOf(t, tab, "#unit-reference"); !strings.Contains(got, "WORLD all qualities 2022 (production average") || !strings.Contains(got, "built-in table") {
		t.Errorf("built-in reference: %q", got)
	}

	b := []byte(readExample(t, "import/valuation.csv"))
	apiJSON(t, in, "POST", "/api/valuation?file=valuation.csv", b, nil)
	clickLink(t, tab, "open Findings", "#nav", "Findings")
	clickLink(t, tab, "open Charts again", "#nav", "Charts")
	// Waited for, not read at once: the chart drawn before the load may
	// still be shown while the pages change (seen under CPU load).
	want := "WORLD 7102.31 2026 (illustrative figures (not the WGDE's): docs/operations.md; loaded from valuation.csv)"
	waitFor(t, tab, "the loaded reference", containsText("#unit-reference", want))
	noPageErrors(t, tab)
}
