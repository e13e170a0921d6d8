package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/kpnode/kpnode/reconcile"
)

// TestCalendarRoute publishes a node's own trade statistics and annual
// report (to its partner BE, who sent nothing), reads its calendar and the R11 finding of its missing quarters,
// which the report cites as resolved.
func TestCalendarRoute(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	_, card := call(t, be, "GET", "/api/card", testToken, nil)
	apiJSON(t, in, "POST", "/api/partners", card, nil)
	stats := `{"version":1,"reporter":"IN","period":"2023-Q1","flow":"export","partner":"BE","hs_code":"7102.31","carats":"100.00","value_usd":"10000.00","certificates":1}`
	apiJSON(t, in, "POST", "/api/records/trade_statistics", []byte(`{"record":`+stats+`}`), nil)
	report, err := os.ReadFile("../docs/examples/annual_report.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(report, &rep); err != nil {
		t.Fatal(err)
	}
	const id = "R11/IN/trade-statistics/missing"
	rep["year"], rep["resolves"] = 2023, []string{id}
	body, _ := json.Marshal(map[string]any{"record": rep})
	apiJSON(t, in, "POST", "/api/records/annual_report", body, nil)

	var cal reconcile.Calendar
	eventually(t, "the calendar of IN", func() error {
		apiJSON(t, in, "GET", "/api/calendar?partner=in", nil, &cal)
		if len(cal.Parties) != 1 || len(cal.Parties[0].Obligations) != 3 || cal.Parties[0].Obligations[2].From == "" {
			return fmt.Errorf("calendar %+v", cal)
		}
		return nil
	})
	p := cal.Parties[0]
	trade, annual := p.Obligations[0], p.Obligations[2]
	if !p.Self || p.Code != "IN" || trade.From != "2023-Q1" || trade.Periods[0].Status != reconcile.StatusLate ||
		trade.Periods[1].Status != reconcile.StatusMissing || trade.Finding != id {
		t.Errorf("trade %+v", trade)
	}
	if annual.From != "2023" || annual.Periods[0].Status != reconcile.StatusLate || annual.Periods[0].Received.IsZero() {
		t.Errorf("annual report %+v", annual)
	}
	var fe FindingExplained
	apiJSON(t, in, "GET", "/api/findings/"+id, nil, &fe)
	if len(fe.AnsweredBy) != 1 || fe.AnsweredBy[0].Key != "annual_report/IN/2023" || fe.AnsweredBy[0].Feed != "IN" {
		t.Errorf("answered by %+v", fe.AnsweredBy)
	}
	var all reconcile.Calendar
	apiJSON(t, in, "GET", "/api/calendar", nil, &all)
	if len(all.Parties) != 2 || all.Parties[0].Code != "BE" || all.Parties[0].Self || all.Parties[0].Obligations[0].From != "" {
		t.Errorf("the partner that sent nothing owes nothing without calendar.start: %+v", all.Parties)
	}
	if code, b := call(t, in, "GET", "/api/calendar?partner=XX", testToken, nil); code != http.StatusBadRequest || errorCode(t, b) != "bad_request" {
		t.Errorf("unknown partner: %d %s", code, b)
	}
}
