package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStaffSigninInBrowser: in chromium, a viewer signs in with a name and
// password, sees their name and role, finds the publishing pages hidden
// and their forms replaced by a note, and a publish sent from the page's
// own script is refused by the node; after sign-out the old session is
// dead. A clerk in another browser sees the forms. The sign-in page and
// the refused page pass axe-core.
func TestStaffSigninInBrowser(t *testing.T) {
	src := loadAxe(t)
	a := newStaffAPI(t, "IN")
	a.pin(t, "BE")
	ctx := newBrowser(t)
	tab := newIncognito(t, ctx)
	do(t, tab, "open the dashboard", chromedp.Navigate(a.srv.URL+"/"))
	waitFor(t, tab, "the sign-in form", visible("#signin-user"))
	checkAxe(t, tab, src, "sign-in")
	do(t, tab, "sign in with a wrong password", chromedp.SendKeys(chromedp.ID("signin-user"), "vera"),
		chromedp.SendKeys(chromedp.ID("signin-password"), "not her password"), chromedp.Click(chromedp.ID("password-signin-button")))
	waitFor(t, tab, "the refusal", containsText("#signin-status", "user name or password is not right"))
	do(t, tab, "sign in", chromedp.SetValue(chromedp.ID("signin-password"), staffPassword), chromedp.Click(chromedp.ID("password-signin-button")))
	waitFor(t, tab, "the name and role", containsText("#whoami", "vera · viewer"))
	if cookies := eval[string](t, tab, `document.cookie`); strings.Contains(cookies, sessionCookie) {
		t.Fatalf("a script reads the session cookie: %q", cookies)
	}
	if shown := eval[bool](t, tab, `!document.querySelector('a[data-nav="notice"]').hidden || !document.querySelector('a[data-nav="import"]').hidden`); shown {
		t.Error("a viewer is offered Send a notice or Import a file")
	}
	for _, page := range []string{"#/notice", "#/import", "#/query"} {
		goTo(t, tab, page)
		waitFor(t, tab, page+" refused", containsText(".role-needed", "Only a clerk or an administrator can"))
		if eval[bool](t, tab, `!!document.querySelector('#view form')`) {
			t.Errorf("%s shows a form to a viewer", page)
		}
	}
	checkAxe(t, tab, src, "a viewer on #/query")
	notice, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: json.RawMessage(noticeBy(t, "IN", "Viewer tries from the page"))})
	pc, cancel := context.WithTimeout(tab, browserWait)
	defer cancel()
	status, err := chromedp.Run(pc, chromedp.Evaluate[float64](`fetch('/api/records/notice', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: `+
		jsString(string(notice))+`, credentials: 'same-origin'}).then((r) => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusForbidden {
		t.Fatalf("the viewer's page publishes: %v, %v", status, err)
	}
	goTo(t, tab, "#/audit")
	waitFor(t, tab, "the audit view names the actors", visible(`#audit-table tr[data-actor="ada"]`))
	if got := textOf(t, tab, `#audit-table tr[data-actor="ada"]`); !strings.Contains(got, "partner.add") {
		t.Errorf("ada's row in the audit view: %q", got)
	}
	if got := textOf(t, tab, `#audit-table tbody tr`); !strings.Contains(got, "vera") || !strings.Contains(got, "session.start") {
		t.Errorf("the newest audit row: %q, want vera's sign-in", got)
	}
	checkAxe(t, tab, src, "#/audit")
	cookie := passwordSignIn(t, a.srv, "vera", staffPassword) // a second session, to check sign-out ends only its own
	do(t, tab, "sign out", chromedp.Click(chromedp.ID("signout")))
	waitFor(t, tab, "the sign-in form again", visible("#signin-user"))
	if resp, _ := send(t, a.srv, "GET", "/api/whoami", nil, map[string]any{"c": cookie}); resp.StatusCode != http.StatusOK {
		t.Errorf("the other session after sign-out: %d", resp.StatusCode)
	}

	clerk := newIncognito(t, ctx)
	do(t, clerk, "open the dashboard", chromedp.Navigate(a.srv.URL+"/"))
	waitFor(t, clerk, "the sign-in form", visible("#signin-user"))
	do(t, clerk, "sign in as carl", chromedp.SendKeys(chromedp.ID("signin-user"), "carl"),
		chromedp.SendKeys(chromedp.ID("signin-password"), staffPassword), chromedp.Click(chromedp.ID("password-signin-button")))
	waitFor(t, clerk, "the name and role", containsText("#whoami", "carl · clerk"))
	goTo(t, clerk, "#/notice")
	waitFor(t, clerk, "the notice form", visible("#notice-form"))
	if eval[bool](t, clerk, `document.querySelector('a[data-nav="notice"]').hidden`) {
		t.Error("a clerk is not offered Send a notice")
	}
	a.dir.RemoveUser("node", "carl")
	goTo(t, clerk, "#/records")
	waitFor(t, clerk, "signed out when removed", visible("#signin-user"))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
