package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// TestDashboardCalendar: a partner's late statistics, its missing
// quarters and its annual report show on the calendar's month grid; the
// finding of the missing quarters shows the report that answered it; the
// page passes the accessibility check.
func TestDashboardCalendar(t *testing.T) {
	in, be := pairNodes(t)
	// The quarter four before today's is on the grid (its deadline two
	// months after it ends), late; the next one is missing.
	q := protocol.QuarterOf(protocol.DateOf(time.Now().UTC()))
	for range 4 {
		q = q.Prev()
	}
	year := time.Now().UTC().Year() - 1
	stats := `{"version":1,"reporter":"BE","period":"` + q.String() + `","flow":"import","partner":"IN","hs_code":"7102.31","carats":"100.00","value_usd":"10000.00","certificates":1}`
	apiJSON(t, be, "POST", "/api/records/trade_statistics", []byte(`{"record":`+stats+`}`), nil)
	var rep map[string]any
	if err := json.Unmarshal([]byte(readExample(t, "annual_report.json")), &rep); err != nil {
		t.Fatal(err)
	}
	const finding = "R11/BE/trade-statistics/missing"
	rep["reporter"], rep["year"], rep["resolves"] = "BE", year, []string{finding}
	body, _ := json.Marshal(map[string]any{"record": rep})
	apiJSON(t, be, "POST", "/api/records/annual_report", body, nil)
	eventually(t, "BE's submissions at IN", func() error {
		var c reconcile.Calendar
		apiJSON(t, in, "GET", "/api/calendar?partner=BE", nil, &c)
		if len(c.Parties) != 1 || c.Parties[0].Obligations[2].From == "" || c.Parties[0].Obligations[0].Finding == "" {
			return fmt.Errorf("calendar %+v", c.Parties)
		}
		return nil
	})

	// IN asked BE a question that is long overdue.
	var query map[string]any
	if err := json.Unmarshal([]byte(readExample(t, "anomaly_query.json")), &query); err != nil {
		t.Fatal(err)
	}
	query["reference"], query["due"] = "IN-AQ-2020-0001", "2020-01-31"
	body, _ = json.Marshal(map[string]any{"to": []string{"BE"}, "record": query})
	apiJSON(t, in, "POST", "/api/records/anomaly_query", body, nil)

	ctx := newBrowser(t)
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	clickLink(t, tab, "open Calendar", "#nav", "Calendar")
	waitFor(t, tab, "BE's month grid", visible("#calendar-BE table"))
	if got := textOf(t, tab, `#questions-rates tr[data-partner="BE"]`); !strings.Contains(got, "0.00 %") {
		t.Errorf("BE's response rate: %q", got)
	}
	if got := textOf(t, tab, "#questions-overdue"); !strings.Contains(got, "IN-AQ-2020-0001 to BE") || !strings.Contains(got, "days overdue") {
		t.Errorf("overdue questions: %q", got)
	}
	if got := textOf(t, tab, "#calendar-summary"); !strings.Contains(got, "BE (") {
		t.Errorf("summary %q does not name BE", got)
	}
	status := func(ob, period string) string {
		return eval[string](t, tab, fmt.Sprintf(`(() => { const b = document.querySelector('#calendar-BE tr[data-obligation=%q] [data-period=%q]'); return b ? b.dataset.status + ':' + b.textContent : ''; })()`, ob, period))
	}
	// q came a year late; the quarter after it never came; last year's
	// report came before its deadline of 31 March or after it.
	if got := status("trade_statistics", q.String()); !strings.HasPrefix(got, "late:"+q.String()+" late ") {
		t.Errorf("%s: %q", q, got)
	}
	if got := status("trade_statistics", q.Next().String()); !strings.HasPrefix(got, "missing:"+q.Next().String()+" missing ") {
		t.Errorf("%s: %q", q.Next(), got)
	}
	// Both dates of a received period show: the one BE signed and the one
	// IN first held it.
	if got := eval[string](t, tab, fmt.Sprintf(`document.querySelector('#calendar-BE [data-period=%q]').title`, q.String())); !strings.Contains(got, "signed ") || !strings.Contains(got, "first held here ") {
		t.Errorf("%s's dates: %q", q, got)
	}
	if got := status("annual_report", fmt.Sprint(year)); got == "" {
		t.Errorf("the %d annual report is not on the grid", year)
	}
	if got := textOf(t, tab, "#calendar-BE .calendar-owes"); !strings.Contains(got, "trade statistics "+q.Next().String()) {
		t.Errorf("owes %q", got)
	}
	if src, err := axeSource(); err == nil {
		checkAxe(t, tab, src, "#/calendar")
	}
	clickLink(t, tab, "open the finding", "#calendar-BE", finding)
	waitFor(t, tab, "the report that answered it", visible("#finding-answered-by"))
	if got := textOf(t, tab, "#finding-answered-by"); !strings.Contains(got, fmt.Sprintf("Annual report BE/%d", year)) || !strings.Contains(got, "BE #2") {
		t.Errorf("answered by %q", got)
	}
	if src, err := axeSource(); err == nil {
		checkAxe(t, tab, src, "#/findings/"+finding)
	}
	// One action sends BE the question drafted from the finding.
	do(t, tab, "send the drafted question", chromedp.Click(chromedp.ID("ask-button")))
	waitFor(t, tab, "the question sent", containsText("#ask-result", "Question sent to BE"))
	var asked reconcile.Questionnaires
	apiJSON(t, in, "GET", "/api/questionnaires", nil, &asked)
	if !slices.ContainsFunc(asked.Queries, func(x reconcile.QueryStatus) bool { return x.Finding == finding }) {
		t.Errorf("no question cites %s: %+v", finding, asked.Queries)
	}
	noPageErrors(t, tab)
}

// TestDashboardAnnualReport: from the finding of its missing quarters IN
// opens the annual report form with the finding cited, is told every
// section it left out at once, publishes the report to its partner; the
// calendar counts it and the finding shows it.
func TestDashboardAnnualReport(t *testing.T) {
	in, _ := pairNodes(t)
	year := time.Now().UTC().Year() - 1
	stats := `{"version":1,"reporter":"IN","period":"` + fmt.Sprint(year-1) + `-Q1","flow":"export","partner":"BE","hs_code":"7102.31","carats":"100.00","value_usd":"10000.00","certificates":1}`
	apiJSON(t, in, "POST", "/api/records/trade_statistics", []byte(`{"record":`+stats+`}`), nil)
	const finding = "R11/IN/trade-statistics/missing"
	ctx := newBrowser(t)
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	goTo(t, tab, "#/findings/"+finding)
	clickLink(t, tab, "answer it in the annual report", "#view", "write the report citing it")
	waitFor(t, tab, "the report form", visible("#report-form"))
	if got := eval[string](t, tab, `document.querySelector('#report-form textarea[name=resolves]').value`); got != finding {
		t.Errorf("the form cites %q, want %q", got, finding)
	}
	sectionBox := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`#report-form textarea[name="sections.%s"]`, m)), "Nothing to report for "+m+".")
	}
	do(t, tab, "write five sections of seven", sectionBox("legislation_institutions"), sectionBox("import_export_regime"),
		sectionBox("statistics"), sectionBox("enforcement"), sectionBox("discrepancies"))
	eval[chromedp.Void](t, tab, `document.querySelector('#report-form input[name=year]').select()`)
	do(t, tab, "the year and the readers", chromedp.SendKeys(chromedp.CSS(`#report-form input[name=year]`), fmt.Sprint(year)), chromedp.Click(chromedp.ID("to-all")))
	clickLink(t, tab, "publish", "#report-form", "Publish the report")
	waitFor(t, tab, "the summary", visible("#report-form-problems"))
	summary := textOf(t, tab, "#report-form-problems")
	for _, want := range []string{"Follow-up to review visits: is required", "Artisanal and alluvial production: is required"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(summary, "Statistics:") {
		t.Errorf("a section written is reported missing:\n%s", summary)
	}
	do(t, tab, "write the last two", sectionBox("review_visits"), sectionBox("artisanal_production"))
	clickLink(t, tab, "publish", "#report-form", "Publish the report")
	waitFor(t, tab, "the report published", containsText("#report-result", "sent to BE"))
	if src, err := axeSource(); err == nil {
		checkAxe(t, tab, src, "#/report")
	}
	clickLink(t, tab, "open Calendar", "#nav", "Calendar")
	waitFor(t, tab, "IN's report on the grid", visible(fmt.Sprintf(`#calendar-IN tr[data-obligation="annual_report"] [data-period="%d"]`, year)))
	goTo(t, tab, "#/findings/"+finding)
	waitFor(t, tab, "the report that answered it", visible("#finding-answered-by"))
	if got := textOf(t, tab, "#finding-answered-by"); !strings.Contains(got, fmt.Sprintf("Annual report IN/%d", year)) {
		t.Errorf("answered by %q", got)
	}
	noPageErrors(t, tab)
}

// TestDashboardAcceptAnswer: BE answers IN's question; on IN's Calendar
// page the clerk accepts the answer with one button, and the
// questionnaire is closed and counted so.
func TestDashboardAcceptAnswer(t *testing.T) {
	in, be := pairNodes(t)
	var query map[string]any
	if err := json.Unmarshal([]byte(readExample(t, "anomaly_query.json")), &query); err != nil {
		t.Fatal(err)
	}
	query["reference"], query["due"] = "IN-AQ-2999-0001", "2999-12-31"
	body, _ := json.Marshal(map[string]any{"to": []string{"BE"}, "record": query})
	var p struct{ Seq uint64 }
	apiJSON(t, in, "POST", "/api/records/anomaly_query", body, &p)
	eventually(t, "IN's question at BE", func() error {
		if code, _ := call(t, be, "GET", fmt.Sprintf("/api/records/IN/%d", p.Seq), testToken, nil); code != 200 {
			return fmt.Errorf("status %d", code)
		}
		return nil
	})
	answer := fmt.Sprintf(`{"to":["IN"],"record":{"version":1,"query":{"feed":"IN","seq":%d},"answer":"Re-exports of August.","status":"answered"}}`, p.Seq)
	apiJSON(t, be, "POST", "/api/records/anomaly_answer", []byte(answer), nil)
	eventually(t, "BE's answer at IN", func() error {
		var q reconcile.Questionnaires
		apiJSON(t, in, "GET", "/api/questionnaires", nil, &q)
		if len(q.Partners) != 1 || q.Partners[0].Answered != 1 {
			return fmt.Errorf("%+v", q.Partners)
		}
		return nil
	})

	ctx := newBrowser(t)
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	clickLink(t, tab, "open Calendar", "#nav", "Calendar")
	waitFor(t, tab, "BE's answer to accept", visible("#questions-answered"))
	clickLink(t, tab, "accept the answer", "#questions-answered", "Accept the answer")
	waitFor(t, tab, "the questionnaire closed", containsText("#questions-answered", "the questionnaire is closed"))
	var q reconcile.Questionnaires
	apiJSON(t, in, "GET", "/api/questionnaires", nil, &q)
	if r := q.Queries[0].Replies[0]; r.Status != reconcile.QueryClosed || r.Accepted == nil {
		t.Errorf("after the click: %+v", r)
	}
	if src, err := axeSource(); err == nil {
		checkAxe(t, tab, src, "#/calendar")
	}
	noPageErrors(t, tab)
}
