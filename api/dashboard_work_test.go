package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// pairNodes starts IN and BE, each pinning the other, and waits until
// they are connected.
func pairNodes(t *testing.T) (in, be *httptest.Server) {
	t.Helper()
	in, _ = newTestAPI(t, "IN")
	be, _ = newTestAPI(t, "BE")
	_, inCard := call(t, in, "GET", "/api/card", testToken, nil)
	_, beCard := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, be, "POST", "/api/partners", inCard, nil)
	apiJSON(t, in, "POST", "/api/partners", beCard, nil)
	return in, be
}

// signInBrowser opens the dashboard of srv in tab and signs in with a
// one-time code typed on the sign-in page, as a clerk does.
func signInBrowser(t *testing.T, tab context.Context, srv *httptest.Server, code string) {
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
	waitFor(t, ctx, what, cond)
	do(t, ctx, what, chromedp.Click(chromedp.CSS(`[data-test-target="1"]`)))
	eval[chromedp.Void](t, ctx, `document.querySelectorAll('[data-test-target]').forEach((x) => x.removeAttribute('data-test-target'))`)
}

// TestDashboardAnswersQuestion: IN asks BE a question; BE's clerk finds it
// in the dashboard, answers it with the form, and IN's clerk sees the
// answer on the question's page. Both work by the visible controls from
// sign-in on.
func TestDashboardAnswersQuestion(t *testing.T) {
	in, be := pairNodes(t)
	ctx := newBrowser(t)
	query := strings.Replace(readExample(t, "anomaly_query.json"), "BE-AQ-2026-0012", "IN-AQ-2026-0001", 1)
	req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(query)})
	var sent struct{ Seq uint64 }
	apiJSON(t, in, "POST", "/api/records/anomaly_query", req, &sent)

	beTab := newIncognito(t, ctx)
	signInBrowser(t, beTab, be, "BE")
	clickLink(t, beTab, "open Records", "#nav", "Records")
	clickLink(t, beTab, "the Questions tab", "#view", "Questions")
	clickLink(t, beTab, "open IN's question", "#records-table", "India's exports")
	waitFor(t, beTab, "the answer form", visible("#answer-form"))
	if got := textOf(t, beTab, "#answers"); !strings.Contains(got, "Not answered yet") {
		t.Fatalf("answers before answering: %q", got)
	}
	do(t, beTab, "choose the status", chromedp.SetValue(chromedp.CSS(`#answer-form select[name=status]`), "corrected"))
	do(t, beTab, "write the answer", chromedp.SendKeys(chromedp.CSS(`#answer-form textarea[name=answer]`), "A shipment was counted twice; corrected figures follow."))
	click(t, beTab, "send the answer", "#answer-button")
	waitFor(t, beTab, "the answer sent", containsText("#answer-result", "sent to IN"))
	waitFor(t, beTab, "the answer listed", containsText("#answers-table", "counted twice"))
	noPageErrors(t, beTab)

	inTab := newIncognito(t, ctx)
	signInBrowser(t, inTab, in, "IN")
	clickLink(t, inTab, "open Records", "#nav", "Records")
	clickLink(t, inTab, "the Questions tab", "#view", "Questions")
	clickLink(t, inTab, "open our question", `#records-table tr[data-feed="IN"]`, "India's exports")
	waitFor(t, inTab, "BE's answer on the question", containsText("#answers-table", "counted twice"))
	if got := textOf(t, inTab, "#answers-table"); !strings.Contains(got, "BE") || !strings.Contains(got, "Corrected") {
		t.Fatalf("the answer shown: %q", got)
	}
	if eval[bool](t, inTab, `!!document.getElementById('answer-form')`) {
		t.Fatal("our own question offers an answer form")
	}
	noPageErrors(t, inTab)
}

func readExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
