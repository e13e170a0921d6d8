package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node"
)

func TestPausePartner(t *testing.T) {
	in := pinnedPair(t)
	if p := pause(t, in, "pause"); !p.Paused {
		t.Fatalf("pause answered %+v", p)
	}
	_, body := call(t, in, "GET", "/api/status", testToken, nil)
	var st node.Status
	if err := json.Unmarshal(body, &st); err != nil || len(st.Partners) != 1 || !st.Partners[0].Paused {
		t.Fatalf("status after pause: %v %s", err, body)
	}
	if p := pause(t, in, "resume"); p.Paused {
		t.Fatalf("resume answered %+v", p)
	}
	code, body := call(t, in, "POST", "/api/partners/AE/pause", testToken, nil)
	if code != http.StatusNotFound || errorCode(t, body) != "unknown_partner" {
		t.Fatalf("pause of an unpinned partner: %d %s", code, body)
	}
}

func pause(t *testing.T, srv *httptest.Server, verb string) node.Partner {
	t.Helper()
	code, body := call(t, srv, "POST", "/api/partners/BE/"+verb, testToken, nil)
	var p node.Partner
	if err := json.Unmarshal(body, &p); code != http.StatusOK || err != nil {
		t.Fatalf("%s: %d %v %s", verb, code, err, body)
	}
	return p
}

// TestAcknowledgeFinding raises a finding (a certificate already expired
// when issued to the partner), acknowledges it and checks the
// acknowledgement is listed and filtered by open=true.
func TestAcknowledgeFinding(t *testing.T) {
	in := pinnedPair(t)
	cert, err := os.ReadFile("../docs/examples/certificate.json")
	if err != nil {
		t.Fatal(err)
	}
	code, body := call(t, in, "POST", "/api/records/certificate", testToken, []byte(`{"to":["BE"],"record":`+string(cert)+`}`))
	if code != http.StatusCreated {
		t.Fatalf("publish certificate: %d %s", code, body)
	}
	fs := listFindings(t, in, "")
	if len(fs) == 0 {
		t.Fatal("no finding raised by the example certificate")
	}
	id := fs[0].ID
	for _, c := range []struct{ body, code string }{
		{`{"id": "R1/NO/SUCH", "note": ""}`, "unknown_finding"},
		{`{"note": "x"}`, "bad_request"},
		{`{"id": "` + id + `", "extra": 1}`, "bad_request"},
		{`{"id": "` + id + `", "note": "` + strings.Repeat("x", 2001) + `"}`, "bad_request"},
	} {
		code, body := call(t, in, "POST", "/api/findings/ack", testToken, []byte(c.body))
		if code/100 != 4 || errorCode(t, body) != c.code {
			t.Errorf("ack %s: %d %s, want %s", c.body, code, body, c.code)
		}
	}
	if open := listFindings(t, in, "?open=true"); len(open) != len(fs) {
		t.Fatalf("a refused acknowledgement changed the open findings: %d, want %d", len(open), len(fs))
	}
	code, body = call(t, in, "POST", "/api/findings/ack", testToken, []byte(`{"id": "`+id+`", "note": "checked with BE"}`))
	var v node.FindingView
	if err := json.Unmarshal(body, &v); code != http.StatusOK || err != nil || v.Ack == nil || v.Ack.Note != "checked with BE" {
		t.Fatalf("ack: %d %v %s", code, err, body)
	}
	if open := listFindings(t, in, "?open=true"); len(open) != len(fs)-1 {
		t.Fatalf("open findings after ack: %d, want %d", len(open), len(fs)-1)
	}
	for _, f := range listFindings(t, in, "") {
		if (f.ID == id) != (f.Ack != nil) {
			t.Errorf("finding %s ack %+v", f.ID, f.Ack)
		}
	}
}

func listFindings(t *testing.T, srv *httptest.Server, query string) []node.FindingView {
	t.Helper()
	code, body := call(t, srv, "GET", "/api/findings"+query, testToken, nil)
	var page node.FindingsPage
	if err := json.Unmarshal(body, &page); code != http.StatusOK || err != nil {
		t.Fatalf("list findings: %d %v %s", code, err, body)
	}
	return page.Findings
}

// TestAcknowledgeNotice: BE acknowledges a notice IN sent it; the
// acknowledgement reaches IN; refused acknowledgements publish nothing.
func TestAcknowledgeNotice(t *testing.T) {
	in, be := mutualPair(t)
	publishNotices(t, in, 1)
	waitRecord(t, be, "/api/records/IN/1")
	for _, c := range []struct {
		srv        *httptest.Server
		path, code string
	}{
		{in, "/api/notices/IN/1/ack", "bad_request"}, // own notice
		{be, "/api/notices/IN/9/ack", "not_found"},   // no such entry
		{be, "/api/notices/IN/0/ack", "bad_request"}, // bad seq
		{be, "/api/notices/IN/x/ack", "bad_request"}, // bad seq
		{be, "/api/notices/ZZ/1/ack", "unknown_participant"},
		{be, "/api/notices/AE/1/ack", "unknown_partner"},
	} {
		code, body := call(t, c.srv, "POST", c.path, testToken, []byte(`{"remarks": "seen"}`))
		if code/100 != 4 || errorCode(t, body) != c.code {
			t.Errorf("%s: %d %s, want %s", c.path, code, body, c.code)
		}
	}
	code, body := call(t, be, "POST", "/api/notices/IN/1/ack", testToken, []byte(`{"remarks": "seen, checking the exporter"}`))
	if code != http.StatusCreated {
		t.Fatalf("ack notice: %d %s", code, body)
	}
	var p node.Published
	if err := json.Unmarshal(body, &p); err != nil || p.Seq != 1 {
		t.Fatalf("ack published %+v (%v), want BE's first entry", p, err)
	}
	rec := waitRecord(t, in, "/api/records/BE/1")
	if !strings.Contains(rec, `"acknowledgement"`) || !strings.Contains(rec, `checking the exporter`) {
		t.Fatalf("IN holds %s, want BE's acknowledgement", rec)
	}
}

// mutualPair serves IN and BE, each pinning the other.
func mutualPair(t *testing.T) (in, be *httptest.Server) {
	t.Helper()
	in, _ = newTestAPI(t, "IN")
	be, _ = newTestAPI(t, "BE")
	for _, p := range [][2]*httptest.Server{{in, be}, {be, in}} {
		_, card := call(t, p[1], "GET", "/api/card", testToken, nil)
		if code, body := call(t, p[0], "POST", "/api/partners", testToken, card); code != http.StatusOK {
			t.Fatalf("add partner: %d %s", code, body)
		}
	}
	return in, be
}

// waitRecord polls srv for the record at path until it is there (bounded)
// and returns its body.
func waitRecord(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := call(t, srv, "GET", path, testToken, nil)
		if code == http.StatusOK {
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %d %s after 30 s", path, code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
