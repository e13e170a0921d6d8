package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/kpnode/kpnode/reconcile"
)

// TestAskAboutFinding: a mirror gap between IN and BE becomes, in one
// action, an anomaly query to BE that IN's questionnaires track; IN's own
// missing quarters (a finding without a partner) and unknown ids are
// refused.
func TestAskAboutFinding(t *testing.T) {
	in, be := pairNodes(t)
	row := func(reporter, flow, partner, carats string) []byte {
		return []byte(fmt.Sprintf(`{"to":[%q],"record":{"version":1,"reporter":%q,"period":"2025-Q3","flow":%q,"partner":%q,"hs_code":"7102.31","carats":%q,"value_usd":"100000.00","certificates":10}}`,
			partner, reporter, flow, partner, carats))
	}
	apiJSON(t, in, "POST", "/api/records/trade_statistics", row("IN", "export", "BE", "1000.00"), nil)
	apiJSON(t, be, "POST", "/api/records/trade_statistics", row("BE", "import", "IN", "700.00"), nil)
	const id = "R9/IN/BE/2025-Q3/7102.31"
	eventually(t, "the mirror gap at IN", func() error {
		if code, _ := call(t, in, "GET", "/api/findings/"+id, testToken, nil); code != http.StatusOK {
			return fmt.Errorf("status %d", code)
		}
		return nil
	})
	code, body := call(t, in, "POST", "/api/findings/ask", testToken, []byte(`{"id":"`+id+`"}`))
	if code != http.StatusCreated {
		t.Fatalf("ask: %d %s", code, body)
	}
	var p struct {
		Seq      uint64
		Audience []string
	}
	if err := json.Unmarshal(body, &p); err != nil || len(p.Audience) != 1 || p.Audience[0] != "BE" {
		t.Fatalf("published %s: %v", body, err)
	}
	var rec struct{ Record map[string]any }
	eventually(t, "the query at BE", func() error {
		code, b := call(t, be, "GET", fmt.Sprintf("/api/records/IN/%d", p.Seq), testToken, nil)
		if code != http.StatusOK {
			return fmt.Errorf("status %d", code)
		}
		return json.Unmarshal(b, &rec)
	})
	if rec.Record["finding"] != id || rec.Record["rule"] != "R9" || rec.Record["period"] != "2025-Q3" {
		t.Errorf("the query BE received: %v", rec.Record)
	}
	var q reconcile.Questionnaires
	apiJSON(t, in, "GET", "/api/questionnaires", nil, &q)
	if len(q.Queries) != 1 || q.Queries[0].Finding != id || q.Queries[0].Replies[0].Partner != "BE" || q.Queries[0].Replies[0].Status != reconcile.QuerySent {
		t.Errorf("questionnaires %+v", q.Queries)
	}
	if code, b := call(t, in, "POST", "/api/findings/ask", testToken, []byte(`{"id":"R11/IN/trade-statistics/missing"}`)); code != http.StatusBadRequest || errorCode(t, b) != "bad_request" {
		t.Errorf("a finding without a partner: %d %s", code, b)
	}
	if code, b := call(t, in, "POST", "/api/findings/ask", testToken, []byte(`{"id":"R9/IN/XX/2025-Q3/7102.31"}`)); code != http.StatusNotFound || errorCode(t, b) != "unknown_finding" {
		t.Errorf("an unknown finding: %d %s", code, b)
	}
}
