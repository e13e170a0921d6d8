package reconcile

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// Item 0 of a batch is told from a lone record, and a person reads it as
// "item 1" (issue 14: items are numbered from 1 wherever a person reads them).
func TestBatchItemZeroIsItemOne(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	odd := newCert("IN", "IN0001234", "BE", "2026-01-05", line("7102.31", "100.00", "15000.00"))
	odd.TotalCarats = ct("160.00")
	lone := newCert("IN", "IN0001235", "BE", "2026-01-05", line("7102.31", "100.00", "15000.00"))
	lone.TotalCarats = ct("160.00")
	s.Add(f.rec("IN", &protocol.Batch{Version: 1, Type: protocol.CertificateType, Records: []protocol.Record{odd}}))
	s.Add(f.rec("IN", lone))

	g := find(t, s.Findings(early), "R7/IN/IN0001234")
	if r := g.Records[0]; !r.Batch || r.Item != 0 || r.ItemLabel() != "item 1" {
		t.Fatalf("batch item 0: %+v, label %q", r, r.ItemLabel())
	}
	b, _ := json.Marshal(g.Records[0])
	if !strings.Contains(string(b), `"batch":true`) || strings.Contains(string(b), `"item"`) {
		t.Fatalf("JSON %s: want batch true and the 0-based item left out", b)
	}
	_, text, ok := s.Explain("R7/IN/IN0001234")
	if !ok || !strings.Contains(text, "(feed IN, entry 1 item 1)") {
		t.Fatalf("explain:\n%s", text)
	}

	g = find(t, s.Findings(early), "R7/IN/IN0001235")
	if r := g.Records[0]; r.Batch || r.ItemLabel() != "" {
		t.Fatalf("lone record: %+v", r)
	}
	b, _ = json.Marshal(g.Records[0])
	if strings.Contains(string(b), "batch") {
		t.Fatalf("lone record JSON %s mentions batch", b)
	}
	if _, text, _ := s.Explain("R7/IN/IN0001235"); strings.Contains(text, " item ") {
		t.Fatalf("lone record explain names an item:\n%s", text)
	}
}
