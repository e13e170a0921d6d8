package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

func TestEvidenceRoute(t *testing.T) {
	in := pinnedPair(t)
	publishNotices(t, in, 1)
	code, body := call(t, in, "GET", "/api/evidence/in/1", testToken, nil)
	if code != http.StatusOK {
		t.Fatalf("evidence: %d %s", code, body)
	}
	b, err := protocol.DecodeEvidenceBundle(body)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Verify()
	if err != nil || p.Card.Card.Code != "IN" || p.Entry.Seq != 1 || p.Entry.Type != protocol.NoticeType {
		t.Fatalf("bundle verifies to %+v, %v", p, err)
	}
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/evidence/IN/2", http.StatusNotFound, "not_found"},
		{"/api/evidence/IN/0", http.StatusBadRequest, "bad_request"},
		{"/api/evidence/IN/1?item=x", http.StatusBadRequest, "bad_request"},
		{"/api/evidence/IN/1?item=0", http.StatusBadRequest, "bad_request"},
		{"/api/evidence/AE/1", http.StatusNotFound, "unknown_partner"},
		{"/api/evidence/XX/1", http.StatusBadRequest, "unknown_participant"},
	} {
		code, body := call(t, in, "GET", c.path, testToken, nil)
		if code != c.status || errorCode(t, body) != c.code {
			t.Errorf("GET %s: %d %s, want %d %s", c.path, code, body, c.status, c.code)
		}
	}
}

// TestAuditRoute checks that partner actions, exports to a file and
// evidence exports are listed by GET /api/audit, and that reads without a
// file (the dashboard's) are not.
func TestAuditRoute(t *testing.T) {
	in := pinnedPair(t)
	pause(t, in, "pause")
	publishNotices(t, in, 1)
	for _, path := range []string{"/api/exports/certificates?format=json", "/api/exports/certificates?file=out.csv",
		"/api/statistics/2026-Q3?file=-", "/api/evidence/IN/1"} {
		if code, body := call(t, in, "GET", path, testToken, nil); code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
	}
	code, body := call(t, in, "GET", "/api/audit", testToken, nil)
	var log []store.AuditRecord
	if err := json.Unmarshal(body, &log); code != http.StatusOK || err != nil {
		t.Fatalf("audit: %d %v %s", code, err, body)
	}
	var actions []string
	for _, r := range log {
		actions = append(actions, r.Action)
	}
	if got := strings.Join(actions, " "); got != "evidence.export export export partner.pause partner.add" {
		t.Fatalf("audit actions %q", got)
	}
	if !strings.Contains(compact(t, log[2].Details), `"file":"out.csv"`) || !strings.Contains(compact(t, log[1].Details), `"kind":"kp-statistics"`) {
		t.Errorf("export details %s / %s", log[2].Details, log[1].Details)
	}
	if _, body := call(t, in, "GET", "/api/audit?limit=1", testToken, nil); json.Unmarshal(body, &log) != nil || len(log) != 1 || log[0].Seq != 5 {
		t.Errorf("audit?limit=1: %s", body)
	}
	code, body = call(t, in, "POST", "/api/audit/verify", testToken, nil)
	var rep store.AuditReport
	if err := json.Unmarshal(body, &rep); code != http.StatusOK || err != nil || !rep.OK() || rep.Records != 5 || rep.Head != 5 {
		t.Fatalf("audit verify: %d %v %s", code, err, body)
	}
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
