package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kpnode/kpnode/node"
)

// TestDashboardValuationForm: the import page loads a valuation table: a
// preview shows its rows and changes nothing, a bad table shows its
// problem by file, line and column, and loading it makes it the
// reference. Every state passes axe.
func TestDashboardValuationForm(t *testing.T) {
	src := loadAxe(t)
	in, n := newTestAPI(t, "IN")
	ctx := newBrowser(t)
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	goTo(t, tab, "#/import")
	waitFor(t, tab, "the valuation form", visible("#valuation-form"))
	good, _ := filepath.Abs("../docs/examples/import/valuation.csv")

	do(t, tab, "preview the table", chromedp.SetUploadFiles(chromedp.ID("valuation-file"), []string{good}), chromedp.Click(chromedp.ID("valuation-button")))
	waitFor(t, tab, "the preview", visible("#valuation-rows"))
	if got := textOf(t, tab, "#valuation-rows"); !strings.Contains(got, "WORLD") || !strings.Contains(got, "7102.31") || !strings.Contains(got, "4.50") {
		t.Errorf("preview rows: %q", got)
	}
	if got := textOf(t, tab, "#valuation-preview"); !strings.Contains(got, "Nothing was changed") {
		t.Errorf("preview says: %q", got)
	}
	if n.Valuation().Operator != nil {
		t.Fatal("a preview loaded the table")
	}
	checkAxe(t, tab, src, "valuation preview")

	bad := filepath.Join(t.TempDir(), "vdm-bad.csv")
	if err := os.WriteFile(bad, []byte("origin,hs_code,year,usd_per_carat,source\nWORLD,7102.31,2026,-5,x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, tab, "check a bad table", chromedp.SetUploadFiles(chromedp.ID("valuation-file"), []string{bad}), chromedp.Click(chromedp.ID("valuation-button")))
	waitFor(t, tab, "the problem", visible("#valuation-problems"))
	if got := textOf(t, tab, "#valuation-problems"); !strings.Contains(got, "vdm-bad.csv") || !strings.Contains(got, "usd_per_carat") || !strings.Contains(got, "2") {
		t.Errorf("problem rows: %q", got)
	}
	checkAxe(t, tab, src, "valuation problems")

	do(t, tab, "load the table", chromedp.SetUploadFiles(chromedp.ID("valuation-file"), []string{good}),
		chromedp.Click(chromedp.ID("valuation-dry-run")), chromedp.Click(chromedp.ID("valuation-button")))
	waitFor(t, tab, "the table loaded", containsText("#valuation-result", "Loaded valuation.csv"))
	if op := n.Valuation().Operator; op == nil || op.File != "valuation.csv" || op.By != "node" {
		t.Fatalf("after loading: %+v", op)
	}
	noPageErrors(t, tab)
}

// TestDashboardImportToNonParty: ticking a partner not party to some
// records is refused with what to do; allowing it says that the records
// went to a non-party and that the import is audited, and it is.
func TestDashboardImportToNonParty(t *testing.T) {
	src := loadAxe(t)
	in, inNode, _, _ := pairNodesN(t)
	ctx := newBrowser(t)
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	goTo(t, tab, "#/import")
	waitFor(t, tab, "the import form", visible("#import-form"))
	file, _ := filepath.Abs("../docs/examples/import/certificates.csv")
	do(t, tab, "import to BE", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{file}),
		chromedp.Click(chromedp.ID("import-to-BE")), chromedp.Click(chromedp.ID("import-button")))
	waitFor(t, tab, "the refusal", visible("#import-non-party-refused"))
	if got := textOf(t, tab, "#import-non-party-refused"); !strings.Contains(got, "not party") || !strings.Contains(got, "Also send to ticked partners") {
		t.Errorf("refusal: %q", got)
	}
	if got := textOf(t, tab, "#import-non-party-help"); !strings.Contains(got, "audit log") {
		t.Errorf("the option does not say it is audited: %q", got)
	}
	checkAxe(t, tab, src, "import refused for a non-party")

	do(t, tab, "allow it", chromedp.Click(chromedp.ID("import-allow-non-party")), chromedp.Click(chromedp.ID("import-button")))
	waitFor(t, tab, "the warning", visible("#import-non-party"))
	if got := textOf(t, tab, "#import-non-party"); !strings.Contains(got, "Sent records to BE") || !strings.Contains(got, "audit log") {
		t.Errorf("warning: %q", got)
	}
	checkAxe(t, tab, src, "import to a non-party")
	recs, err := inNode.AuditLog(10)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, r := range recs {
		audited = audited || r.Action == node.AuditImport && strings.Contains(string(r.Details), `"non_party":["BE"]`)
	}
	if !audited {
		t.Fatalf("the import to a non-party is not audited: %+v", recs)
	}
	noPageErrors(t, tab)
}
