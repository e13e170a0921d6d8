package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestCertificateFormLinesAndAddressesInBrowser: a clerk at IN issues a
// certificate of 5 lines with the exporter's and importer's addresses,
// working the form from the keyboard: "Add a line" pressed with Enter adds
// a row and moves focus into it, a row removed with its button goes and
// the rows after it are renumbered. A line left wrong shows the node's
// error at that line's field. BE reads the certificate back through the
// API with the 5 lines in order and both addresses. The form passes axe,
// with 5 lines and with its errors shown.
func TestCertificateFormLinesAndAddressesInBrowser(t *testing.T) {
	src := loadAxe(t)
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil)
	apiJSON(t, in, "POST", "/api/partners", beCard, nil)
	ctx := newBrowser(t)
	signInBrowser(t, ctx, in, "IN")
	goTo(t, ctx, "#/certificate")
	waitFor(t, ctx, "the certificate form", visible("#certificate-form"))
	set := func(field, value string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.CSS(`#certificate-form [data-field="`+field+`"]`), value)
	}
	exporterAddr, importerAddr := "12 Diamond Lane\nMumbai 400004", "Hoveniersstraat 22, 2018 Antwerpen"
	do(t, ctx, "fill the certificate",
		set("number", "IN0000077"), set("issuing_authority", "KP Authority of India"),
		set("issued", "2026-09-14"), set("expires", "2026-11-13"),
		set("exporter.name", "Shree Ram Diamonds"), set("exporter.licence", "GJEPC/1"), set("exporter.country", "IN"), set("exporter.address", exporterAddr),
		set("importer.name", "Antwerp Rough Trading"), set("importer.licence", "FOD-1"), set("importer.country", "BE"), set("importer.address", importerAddr),
		set("destination", "BE"), set("origin", "BW"), set("parcels", "6"),
		chromedp.Click(chromedp.ID("to-BE")))
	// Six lines added from the keyboard, each focused as it comes.
	for i := 1; i <= 5; i++ {
		do(t, ctx, "add a line", chromedp.Focus(chromedp.ID("certificate-add-line")), chromedp.KeyEvent(kb.Enter))
		if got := eval[string](t, ctx, `document.activeElement.dataset.field || ''`); got != fmt.Sprintf("lines[%d].hs_code", i) {
			t.Fatalf("focus after adding line %d: %q", i+1, got)
		}
	}
	hs := []string{"7102.31", "7102.21", "7102.10", "7102.31", "7102.21", "7102.10"}
	for i := range 6 {
		do(t, ctx, "fill a line", set(fmt.Sprintf("lines[%d].hs_code", i), hs[i]),
			set(fmt.Sprintf("lines[%d].carats", i), fmt.Sprintf("%d.50", 10*(i+1))),
			set(fmt.Sprintf("lines[%d].value_usd", i), fmt.Sprintf("%d00", i+1)))
	}
	// Line 2 goes, by keyboard; line 3 becomes line 2 and takes the focus.
	do(t, ctx, "remove line 2", chromedp.Focus(chromedp.CSS(`#certificate-lines > [data-line="1"] .remove-line`)), chromedp.KeyEvent(kb.Enter))
	if got := eval[string](t, ctx, `document.activeElement.dataset.field + '=' + document.activeElement.value`); got != "lines[1].hs_code=7102.10" {
		t.Fatalf("focus after removing line 2: %q", got)
	}
	if got := textOf(t, ctx, `#certificate-lines > [data-line="4"] legend`); got != "Line 5" {
		t.Fatalf("the last row after the removal: %q", got)
	}
	do(t, ctx, "spoil line 4", set("lines[3].carats", "lots"))
	do(t, ctx, "issue it", chromedp.Click(chromedp.CSS(`#certificate-form button[type=submit]`)))
	waitFor(t, ctx, "the line's error", containsText(`[data-for="lines[3].carats"] .field-error`, `"lots" is not a decimal`))
	if got := textOf(t, ctx, "#certificate-form-problems"); !strings.Contains(got, "Line 4: Carats") {
		t.Errorf("the summary of problems: %q, want line 4's carats named", got)
	}
	checkAxe(t, ctx, src, "certificate form with 5 lines and an error")
	do(t, ctx, "correct line 4", set("lines[3].carats", "50.50"),
		chromedp.Click(chromedp.CSS(`#certificate-form button[type=submit]`)))
	waitFor(t, ctx, "published", containsText("#certificate-result", "published as entry #1"))
	noPageErrors(t, ctx)

	type party struct{ Address string }
	var v struct {
		Record struct {
			Exporter, Importer party
			Lines              []struct {
				HSCode   string `json:"hs_code"`
				Carats   string
				ValueUSD string `json:"value_usd"`
			}
			TotalCarats string `json:"total_carats"`
		}
	}
	eventually(t, "the certificate at BE", func() error {
		code, body := call(t, be, "GET", "/api/records/IN/1", testToken, nil)
		if code != 200 {
			return &Error{Status: code, Message: string(body)}
		}
		return json.Unmarshal(body, &v)
	})
	r := v.Record
	var got []string
	for _, l := range r.Lines {
		got = append(got, l.HSCode+" "+l.Carats+" "+l.ValueUSD)
	}
	want := "7102.31 10.50 100|7102.10 30.50 300|7102.31 40.50 400|7102.21 50.50 500|7102.10 60.50 600"
	if strings.Join(got, "|") != want || r.TotalCarats != "192.50" {
		t.Errorf("lines %q (total %s), want %q (192.50)", strings.Join(got, "|"), r.TotalCarats, want)
	}
	if r.Exporter.Address != exporterAddr || r.Importer.Address != importerAddr {
		t.Errorf("addresses %q, %q", r.Exporter.Address, r.Importer.Address)
	}
}
