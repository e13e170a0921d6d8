package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/kpnode/kpnode/node"
)

// pairNodes starts IN and BE, each pinning the other, and waits until
// they are connected.
func pairNodes(t *testing.T) (in, be *httptest.Server) {
	t.Helper()
	in, _, be, _ = pairNodesN(t)
	return in, be
}

// pairNodesN is pairNodes, also answering the nodes.
func pairNodesN(t *testing.T) (in *httptest.Server, inNode *node.Node, be *httptest.Server, beNode *node.Node) {
	t.Helper()
	in, inNode = newTestAPI(t, "IN")
	be, beNode = newTestAPI(t, "BE")
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil)
	apiJSON(t, in, "POST", "/api/partners", beCard, nil)
	return in, inNode, be, beNode
}

// signInBrowser opens the dashboard of srv in tab and signs in with a
// one-time code typed on the sign-in page, as a clerk does.
func signInBrowser(t testing.TB, tab context.Context, srv *httptest.Server, code string) {
	t.Helper()
	do(t, tab, "open the dashboard", chromedp.Navigate(srv.URL+"/"))
	waitFor(t, tab, "the sign-in form", visible("#code"))
	var link SigninLink
	apiJSON(t, srv, "POST", "/api/signin-links", nil, &link)
	do(t, tab, "type the code", chromedp.SendKeys(chromedp.ID("code"), link.Code), chromedp.Click(chromedp.ID("signin-button")))
	waitFor(t, tab, "the overview", containsText("#identity", "Authority "+code))
}

// click clicks the first element matching a CSS selector once it shows.
func click(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	waitFor(t, ctx, what, visible(sel))
	do(t, ctx, what, chromedp.Click(chromedp.CSS(sel)))
}

// clickLink clicks the link (or button) inside scope whose text contains text.
func clickLink(t *testing.T, ctx context.Context, what, scope, text string) {
	t.Helper()
	cond := fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
		const a = [...s.querySelectorAll('a, button')].find((x) => x.innerText.includes(%q) && x.offsetParent !== null);
		if (!a) return false; a.setAttribute('data-test-target', '1'); return true; })()`, scope, text)
	// The page may render the scope again between marking the link and
	// clicking it (the overview does on every event): the mark is then
	// gone, and the link is looked for again, up to browserWait.
	deadline := time.Now().Add(browserWait)
	for {
		waitFor(t, ctx, what, cond)
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := chromedp.Do(c, chromedp.Click(chromedp.CSS(`[data-test-target="1"]`)))
		cancel()
		eval[chromedp.Void](t, ctx, `document.querySelectorAll('[data-test-target]').forEach((x) => x.removeAttribute('data-test-target'))`)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v\npage text:\n%s", what, err, pageText(ctx))
		}
	}
}

// tabTo presses Tab until the element matching sel has the focus, as a
// keyboard user moves through the page; it fails after 120 presses.
func tabTo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	is := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && document.activeElement === e; })()`, sel)
	for range 120 {
		if eval[bool](t, ctx, is) {
			return
		}
		press(t, ctx, "Tab", kb.Tab)
	}
	t.Fatalf("Tab never reached %s", sel)
}

// press types keys into the element that has the focus.
func press(t *testing.T, ctx context.Context, what, keys string) {
	t.Helper()
	do(t, ctx, what, chromedp.KeyEvent(keys))
}

// TestDashboardClerkWork: IN sends BE a notice, a question and
// certificates. BE's clerk finds each in the overview's "Waiting for this
// node", acknowledges the notice and answers the question with the forms,
// and sees both leave the list; IN's clerk sees the answer on the
// question's page and the certificates BE has not confirmed. Both work by
// the visible controls from sign-in on.
func TestDashboardClerkWork(t *testing.T) {
	in, _, be, beNode := pairNodesN(t)
	ctx := newBrowser(t)
	query := strings.Replace(readExample(t, "anomaly_query.json"), "BE-AQ-2026-0012", "IN-AQ-2026-0001", 1)
	req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(query)})
	apiJSON(t, in, "POST", "/api/records/anomaly_query", req, nil)
	notice := noticeBy(t, "IN", "Forged certificates seen in Mumbai")
	req, _ = json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(notice)})
	apiJSON(t, in, "POST", "/api/records/notice", req, nil)
	importFile(t, in, "certificates", "", "../docs/examples/import/certificates.csv")

	beTab := newIncognito(t, ctx)
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{{"BE's inbox lists what waits", func(t *testing.T) {
		signInBrowser(t, beTab, be, "BE")
		waitFor(t, beTab, "the notice in the inbox", containsText("#inbox-notices", "Forged certificates seen in Mumbai"))
		waitFor(t, beTab, "the question in the inbox", containsText("#inbox-questions", "IN-AQ-2026-0001"))
		waitFor(t, beTab, "the certificates to confirm", containsText("#inbox-confirm", "Certificate IN0012001"))
		// The events of before the page loaded show at once, not at the
		// next refresh (10 s): the stream replays them as the page loads.
		c, cancel := context.WithTimeout(beTab, 5*time.Second)
		defer cancel()
		if err := chromedp.Do(c, chromedp.Poll[chromedp.Void](containsText("#activity-list", "from IN"), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			t.Fatalf("recent activity after loading: %q (%v)", textOf(t, beTab, "#activity"), err)
		}
		if !eval[bool](t, beTab, `!!document.querySelector('#activity-list a[href^="#/records/IN/"]')`) {
			t.Error("a received entry does not link to its record")
		}
	}}, {"BE acknowledges the notice", func(t *testing.T) {
		clickLink(t, beTab, "open the notice", "#inbox-notices", "Forged certificates seen in Mumbai")
		waitFor(t, beTab, "the acknowledge form", visible("#notice-ack"))
		do(t, beTab, "write remarks", chromedp.SendKeys(chromedp.ID("ack-remarks"), "Circulated to customs."))
		clickLink(t, beTab, "acknowledge", "#notice-ack", "Acknowledge this notice")
		waitFor(t, beTab, "the acknowledgement sent", containsText("#notice-ack", "Acknowledgement sent to IN"))
		clickLink(t, beTab, "back to the overview", "#nav", "Overview")
		waitFor(t, beTab, "the question still waits", containsText("#inbox-questions", "IN-AQ-2026-0001"))
		waitFor(t, beTab, "the notice gone", `!document.querySelector('#inbox-notices')`)
	}}, {"BE answers the question with the keyboard only", func(t *testing.T) {
		tabTo(t, beTab, `#inbox-questions a`)
		press(t, beTab, "open the question", kb.Enter)
		waitFor(t, beTab, "the answer form", visible("#answer-form"))
		waitFor(t, beTab, "not answered yet", containsText("#answers", "Not answered yet"))
		if !eval[bool](t, beTab, `document.activeElement === document.getElementById('view')`) {
			t.Errorf("after the page change the focus is on %s, not the page", eval[string](t, beTab, `document.activeElement.tagName`))
		}
		tabTo(t, beTab, `#answer-form select[name=status]`)
		press(t, beTab, "choose Corrected", kb.ArrowDown+kb.ArrowDown)
		tabTo(t, beTab, `#answer-form textarea[name=answer]`)
		press(t, beTab, "write the answer", "A shipment was counted twice; corrected figures follow.")
		tabTo(t, beTab, `#answer-button`)
		press(t, beTab, "send the answer", kb.Enter)
		waitFor(t, beTab, "the answer sent", containsText("#answer-result", "sent to IN"))
		waitFor(t, beTab, "the answer listed", containsText("#answers-table", "counted twice"))
		if got := textOf(t, beTab, "#answers-table"); !strings.Contains(got, "Corrected") {
			t.Fatalf("the status chosen with the keyboard: %q", got)
		}
		tabTo(t, beTab, `#nav a[data-nav="overview"]`)
		press(t, beTab, "back to the overview", kb.Enter)
		waitFor(t, beTab, "the certificates still wait", containsText("#inbox-confirm", "IN0012001"))
		waitFor(t, beTab, "the question gone", `!document.querySelector('#inbox-questions')`)
		noPageErrors(t, beTab)
	}}, {"BE sends a notice: every problem at once, then sent", func(t *testing.T) {
		clickLink(t, beTab, "open the notice form", "#nav", "Send a notice")
		waitFor(t, beTab, "the notice form", visible("#notice-form"))
		if got := textOf(t, beTab, "#notice-form"); !strings.Contains(got, "Title (required)") || !strings.Contains(got, "Send to (required)") {
			t.Fatalf("required fields not marked: %q", got)
		}
		issuer := `#notice-form input[name="fraudulent_certificate.purported_issuer"]`
		do(t, beTab, "type the claimed issuer", chromedp.SendKeys(chromedp.CSS(issuer), "India"))
		if got := eval[string](t, beTab, fmt.Sprintf(`document.querySelector(%q).value`, issuer)); got != "India" {
			t.Fatalf("the claimed issuer was altered while typing: %q", got)
		}
		clickLink(t, beTab, "send", "#notice-form", "Send the notice")
		waitFor(t, beTab, "the summary", visible("#notice-form-problems"))
		summary := textOf(t, beTab, "#notice-form-problems")
		for _, want := range []string{"Send to: choose at least one partner", "Title: is required", "Claimed issuer (participant):",
			"Certificate numbers:", "What is wrong with it:", "What you ask partners to do:"} {
			if !strings.Contains(summary, want) {
				t.Errorf("the summary lacks %q:\n%s", want, summary)
			}
		}
		if strings.Contains(summary, "invalid_record") || strings.Contains(summary, "action requested") {
			t.Errorf("the summary shows internal names:\n%s", summary)
		}
		if !eval[bool](t, beTab, `document.getElementById('notice-form-problems').contains(document.activeElement)`) {
			t.Error("the focus did not move to the summary")
		}
		if !eval[bool](t, beTab, fmt.Sprintf(`(() => { const c = document.querySelector(%q); const d = document.getElementById(c.getAttribute('aria-describedby') || '');
			return c.getAttribute('aria-invalid') === 'true' && !!d && d.innerText.length > 0; })()`, issuer)) {
			t.Error("the claimed issuer's error is not tied to it (aria-invalid, aria-describedby)")
		}
		if got := eval[string](t, beTab, fmt.Sprintf(`document.querySelector(%q).value`, issuer)); got != "India" {
			t.Fatalf("the claimed issuer was altered: %q", got)
		}
		eval[chromedp.Void](t, beTab, fmt.Sprintf(`document.querySelector(%q).select()`, issuer))
		do(t, beTab, "correct every field",
			chromedp.SendKeys(chromedp.CSS(issuer), "IN"),
			chromedp.SendKeys(chromedp.CSS(`#notice-form input[name=reference]`), "BE-N-2026-0001"),
			chromedp.SendKeys(chromedp.CSS(`#notice-form input[name=title]`), "Forged certificates in Antwerp"),
			chromedp.SendKeys(chromedp.CSS(`#notice-form textarea[name="fraudulent_certificate.certificate_numbers"]`), "IN0099999"),
			chromedp.Click(chromedp.CSS(`#notice-form input[name="fraudulent_certificate.defects"][value="layout_unlike_specimen"]`)),
			chromedp.SendKeys(chromedp.CSS(`#notice-form textarea[name="fraudulent_certificate.action_requested"]`), "Refuse these certificates."),
			chromedp.Click(chromedp.ID("to-IN")))
		clickLink(t, beTab, "send", "#notice-form", "Send the notice")
		waitFor(t, beTab, "the notice sent", containsText("#notice-result", "sent to IN"))
		if eval[bool](t, beTab, `!!document.getElementById('notice-form-problems')`) {
			t.Error("the summary stayed after the notice was sent")
		}
		noPageErrors(t, beTab)
	}}, {"IN sees the answer and what BE has not confirmed", func(t *testing.T) {
		inTab := newIncognito(t, ctx)
		signInBrowser(t, inTab, in, "IN")
		clickLink(t, inTab, "open Records", "#nav", "Records")
		clickLink(t, inTab, "the Questions tab", "#view", "Questions")
		clickLink(t, inTab, "open our question", `#records-table tr[data-feed="IN"]`, "IN-AQ-2026-0001")
		waitFor(t, inTab, "BE's answer on the question", containsText("#answers-table", "counted twice"))
		if got := textOf(t, inTab, "#answers-table"); !strings.Contains(got, "BE") || !strings.Contains(got, "Corrected") {
			t.Fatalf("the answer shown: %q", got)
		}
		if eval[bool](t, inTab, `!!document.getElementById('answer-form')`) {
			t.Fatal("our own question offers an answer form")
		}
		clickLink(t, inTab, "back to the overview", "#nav", "Overview")
		clickLink(t, inTab, "the certificates awaiting BE", "#awaiting", "to BE not yet confirmed")
		waitFor(t, inTab, "the list", containsText("#awaiting-table", "IN0012001"))
		noPageErrors(t, inTab)
	}}, {"IN pauses BE, resumes it, then BE stops: the overview says why delivery is behind", func(t *testing.T) {
		inTab := newIncognito(t, ctx)
		signInBrowser(t, inTab, in, "IN")
		row := `#partner-table tr[data-partner="BE"]`
		waitFor(t, inTab, "BE up to date", containsText(row, "Up to date"))
		clickLink(t, inTab, "pause BE", row, "Pause")
		waitFor(t, inTab, "BE paused", containsText(row, "Resume"))
		req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(notice)})
		apiJSON(t, in, "POST", "/api/records/notice", req, nil)
		waitFor(t, inTab, "behind: paused", containsText(row, "Behind: paused"))
		if got := textOf(t, inTab, row); strings.Contains(got, "sending") {
			t.Fatalf("a paused partner's row says sending: %q", got)
		}
		clickLink(t, inTab, "resume BE", row, "Resume")
		waitFor(t, inTab, "BE up to date again", containsText(row, "Up to date"))
		// BE's node stops: our next entry waits for it, and the row says why.
		beNode.Close()
		waitFor(t, inTab, "BE not connected", visible(`tr[data-partner="BE"][data-connected="false"]`))
		waitFor(t, inTab, "BE unreachable for a while", containsText(row, "unreachable for"))
		req, _ = json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(notice)})
		apiJSON(t, in, "POST", "/api/records/notice", req, nil)
		waitFor(t, inTab, "behind: not connected", containsText(row, "Behind: not connected"))
		noPageErrors(t, inTab)
	}}}
	for _, st := range steps {
		if !t.Run(st.name, st.run) {
			return // the later steps build on this one
		}
	}
}

func readExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDashboardCharts: the charts open on the partner and the origin that
// have figures (the first in alphabetical order, AE and CD, have none to
// compare or none of the default HS code), and every chart has its
// figures as a table; the unit-value chart names its outliers in words.
func TestDashboardCharts(t *testing.T) {
	in, be := pairNodes(t)
	ctx := newBrowser(t)
	importFile(t, in, "certificates", "", "../docs/examples/import/certificates.csv")
	importFile(t, in, "trade-statistics", "", "../docs/examples/import/trade-statistics.csv")
	beStats := filepath.Join(t.TempDir(), "be.csv")
	os.WriteFile(beStats, []byte("reporter,period,flow,partner,hs_code,carats,value_usd,certificates\n"+
		"BE,2026-Q3,import,IN,7102.31,1254000.00,188000000.00,810\n"), 0o600)
	importFile(t, be, "trade-statistics", "IN", beStats)
	eventually(t, "IN holds BE's statistics", func() error {
		_, b := call(t, in, "GET", "/api/exports/trade-statistics?format=json", testToken, nil)
		if !strings.Contains(string(b), `"reporter":"BE"`) {
			return fmt.Errorf("not yet: %s", b)
		}
		return nil
	})
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	clickLink(t, tab, "open Charts", "#nav", "Charts")
	waitFor(t, tab, "the mirror chart", visible("#chart-mirror svg"))
	waitFor(t, tab, "the unit values", visible("#chart-unit svg"))
	if got := eval[string](t, tab, `document.getElementById('mirror-partner').value`); got != "BE" {
		t.Errorf("the mirror chart opens on %q, want BE (the partner with figures on both sides)", got)
	}
	if got := eval[string](t, tab, `document.getElementById('unit-origin').value + ' ' + document.getElementById('unit-hs').value`); got != "MIXED 7102.31" {
		t.Errorf("the unit-value chart opens on %q, want MIXED 7102.31 (the origin with the most gem lines)", got)
	}
	if got := textOf(t, tab, "#unit-summary"); !strings.Contains(got, " lines; ") {
		t.Errorf("unit-value summary: %q", got)
	}
	// The delivery history has its first sample after a while: its table
	// comes with its chart.
	if !eval[bool](t, tab, `!!document.querySelector('#lag-table') === !!document.querySelector('#chart-lag svg')`) {
		t.Error("the delivery charts have no data table")
	}
	for _, sel := range []string{"#chart-mirror table", "#unit-table"} {
		if !eval[bool](t, tab, fmt.Sprintf(`!!document.querySelector(%q)`, sel)) {
			t.Errorf("no data table %s", sel)
		}
	}
	noPageErrors(t, tab)
}

// TestRecordReferenceServed: the record reference the dashboard serves
// (api/web/static/records.md) is docs/records.md, so a clerk reads the
// formats this node accepts. After editing docs/records.md:
// cp docs/records.md api/web/static/records.md
func TestRecordReferenceServed(t *testing.T) {
	want, err := os.ReadFile("../docs/records.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(webFS, "web/static/records.md")
	if err != nil || string(got) != string(want) {
		t.Fatalf("api/web/static/records.md differs from docs/records.md (%v): cp docs/records.md api/web/static/records.md", err)
	}
}
