package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/reconcile"
)

// TestDashboardCalendar: a partner's late statistics, its missing
// quarters and its annual report show on the calendar's month grid; the
// finding of the missing quarters shows the report that answered it; the
// page passes the accessibility check.
func TestDashboardCalendar(t *testing.T) {
	in, be := pairNodes(t)
	stats := `{"version":1,"reporter":"BE","period":"2025-Q1","flow":"import","partner":"IN","hs_code":"7102.31","carats":"100.00","value_usd":"10000.00","certificates":1}`
	apiJSON(t, be, "POST", "/api/records/trade_statistics", []byte(`{"record":`+stats+`}`), nil)
	var rep map[string]any
	if err := json.Unmarshal([]byte(readExample(t, "annual_report.json")), &rep); err != nil {
		t.Fatal(err)
	}
	const finding = "R11/BE/trade-statistics/missing"
	rep["reporter"], rep["year"], rep["resolves"] = "BE", 2025, []string{finding}
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

	ctx := newBrowser(t)
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	clickLink(t, tab, "open Calendar", "#nav", "Calendar")
	waitFor(t, tab, "BE's month grid", visible("#calendar-BE table"))
	if got := textOf(t, tab, "#calendar-summary"); !strings.Contains(got, "BE (") {
		t.Errorf("summary %q does not name BE", got)
	}
	status := func(ob, period string) string {
		return eval[string](t, tab, fmt.Sprintf(`(() => { const b = document.querySelector('#calendar-BE tr[data-obligation=%q] [data-period=%q]'); return b ? b.dataset.status + ':' + b.textContent : ''; })()`, ob, period))
	}
	// 2025-Q1 came in 2026: late; 2025-Q2 never came; the 2025 report
	// came before its deadline of 31 March 2026 passed or after it.
	if got := status("trade_statistics", "2025-Q1"); !strings.HasPrefix(got, "late:2025-Q1 late ") {
		t.Errorf("2025-Q1: %q", got)
	}
	if got := status("trade_statistics", "2025-Q2"); !strings.HasPrefix(got, "missing:2025-Q2 missing ") {
		t.Errorf("2025-Q2: %q", got)
	}
	if got := status("annual_report", "2025"); got == "" {
		t.Error("the 2025 annual report is not on the grid")
	}
	if got := textOf(t, tab, "#calendar-BE .calendar-owes"); !strings.Contains(got, "trade statistics 2025-Q2") {
		t.Errorf("owes %q", got)
	}
	if src, err := axeSource(); err == nil {
		checkAxe(t, tab, src, "#/calendar")
	}
	clickLink(t, tab, "open the finding", "#calendar-BE", finding)
	waitFor(t, tab, "the report that answered it", visible("#finding-answered-by"))
	if got := textOf(t, tab, "#finding-answered-by"); !strings.Contains(got, "Annual report BE/2025") || !strings.Contains(got, "BE #2") {
		t.Errorf("answered by %q", got)
	}
	if src, err := axeSource(); err == nil {
		checkAxe(t, tab, src, "#/findings/"+finding)
	}
	noPageErrors(t, tab)
}
