package trade

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/reconcile"
)

var sampleTruth = []Expected{
	{ID: "R1/IN/IN0000001", Rule: "R1", Severity: reconcile.Critical, Observers: []string{"BE", "IN"}},
	{ID: "R2/IN/IN0000002", Rule: "R2", Severity: reconcile.Warning, Observers: []string{"BE", "IN"}},
	{ID: "R12/BW/2026-H1", Rule: "R12", Severity: reconcile.Warning, Observers: []string{"BW"}},
}

func finding(id string, sev reconcile.Severity) reconcile.Finding {
	rule, _, _ := strings.Cut(id, "/")
	return reconcile.Finding{ID: id, Rule: rule, Severity: sev}
}

func TestCompare(t *testing.T) {
	got := []reconcile.Finding{
		finding("R1/IN/IN0000001", reconcile.Critical),
		finding("R2/IN/IN0000002", reconcile.Critical), // escalated too early
		finding("R12/BW/2026-H1", reconcile.Warning),   // not BE's to raise
		finding("R9/IN/BE/2026-Q1/7102.31", reconcile.Warning),
	}
	s := Compare(sampleTruth, "BE", got)
	want := map[string]RuleScore{
		"R1": {Expected: 1, Found: 1}, "R2": {Expected: 1, Found: 1},
		"R12": {FalseAlarms: 1}, "R9": {FalseAlarms: 1},
	}
	if !mapsEqual(s.Rules, want) || s.OK() {
		t.Fatalf("rules %v, want %v", s.Rules, want)
	}
	if len(s.WrongSeverity) != 1 || s.WrongSeverity[0].ID != "R2/IN/IN0000002" || len(s.FalseAlarms) != 2 || len(s.Missed) != 0 {
		t.Fatalf("mismatches %+v", s)
	}
	in := Compare(sampleTruth, "IN", got[:1])
	if in.OK() || len(in.Missed) != 1 || in.Missed[0].ID != "R2/IN/IN0000002" {
		t.Fatalf("IN: %+v", in)
	}
	s.Merge(in)
	if tot := s.Total(); tot != (RuleScore{Expected: 4, Found: 3, Missed: 1, FalseAlarms: 2}) {
		t.Fatalf("merged total %+v", tot)
	}
	for _, line := range []string{"missed at IN: R2/IN/IN0000002", "false alarm at BE: R9/IN/BE/2026-Q1/7102.31", "wrong severity at BE: R2/IN/IN0000002 is critical, want warning"} {
		if !strings.Contains(s.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, s)
		}
	}
	if ok := Compare(sampleTruth, "BW", got[2:3]); !ok.OK() {
		t.Errorf("BW: %s", ok)
	}
}

// TestCompareExplanation checks that a finding raised without the phrase
// its expectation requires is reported, and one with it is not.
func TestCompareExplanation(t *testing.T) {
	exp := []Expected{{ID: "R9/IN/BE/2026-Q1/7102.31", Rule: "R9", Severity: reconcile.Warning, Observers: []string{"BE"},
		Explains: "a one-quarter lag cannot be judged: 2026-Q2 is not in from both sides yet"}}
	f := finding(exp[0].ID, reconcile.Warning)
	f.Explanation = "carats 30.00 % apart (…); carats: a one-quarter lag would explain the gap"
	s := Compare(exp, "BE", []reconcile.Finding{f})
	if s.OK() || len(s.WrongExplanation) != 1 || s.Rules["R9"] != (RuleScore{Expected: 1, Found: 1}) ||
		!strings.Contains(s.String(), `wrong explanation at BE: R9/IN/BE/2026-Q1/7102.31 does not say "a one-quarter lag cannot`) {
		t.Fatalf("explanation without the phrase: %+v\n%s", s, s)
	}
	f.Explanation = "carats 30.00 % apart (…); carats: " + exp[0].Explains
	if s := Compare(exp, "BE", []reconcile.Finding{f}); !s.OK() {
		t.Fatalf("explanation with the phrase: %s", s)
	}
}

func mapsEqual(a, b map[string]RuleScore) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTruthRoundTrip(t *testing.T) {
	p := mustGenerate(t, Options{Participants: five, Links: mesh(five), Days: 30, Seed: 9, Anomalies: 15, Now: mustTime(nows[0])})
	var buf bytes.Buffer
	if err := p.WriteTruth(&buf); err != nil {
		t.Fatal(err)
	}
	tr, err := ReadTruth(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(tr.Expected, p.Expected, func(a, b Expected) bool {
		return a.ID == b.ID && a.Severity == b.Severity && slices.Equal(a.Observers, b.Observers) && a.Note == b.Note && a.Explains == b.Explains
	}) || tr.Seed != 9 || !tr.Now.Equal(p.Options.Now) || tr.From != p.From || tr.Items != len(p.Items) {
		t.Fatalf("read back %+v", tr)
	}
	if len(p.Calendar) == 0 || !reflect.DeepEqual(tr.Calendar, p.Calendar) || !tr.ChecksCalendar() {
		t.Fatalf("calendar read back %+v, want %+v", tr.Calendar, p.Calendar)
	}
	// A version 3 truth, written before the calendar, is still read and
	// checks no calendar.
	old, err := ReadTruth(strings.NewReader(`{"version": 3, "expected": []}`))
	if err != nil || old.ChecksCalendar() {
		t.Fatalf("version 3: %+v, %v; want read, checking no calendar", old, err)
	}
}

func TestReadTruthErrors(t *testing.T) {
	for _, in := range []string{
		`{"version": 1, "expected": []}`,
		`{"version": 2, "expected": []}`,
		`{"version": 5, "expected": []}`,
		`{"version": 4, "extra": 1}`,
		`{"version": 4, "expected": [{"id": "R1/IN/IN1", "rule": "R2", "severity": "critical", "observers": ["IN"]}]}`,
		`{"version": 4, "expected": [{"id": "R99/IN/IN1", "rule": "R99", "severity": "critical", "observers": ["IN"]}]}`,
		`{"version": 4, "expected": [{"id": "R1/IN/IN1", "rule": "R1", "severity": "grave", "observers": ["IN"]}]}`,
		`{"version": 4, "expected": [{"id": "R1/IN/IN1", "rule": "R1", "severity": "critical", "observers": []}]}`,
		`{"version": 3, "calendar": [{"observer": "IN", "party": "BE", "obligation": "annual_report", "late": ["2025"]}]}`,
		`{"version": 4, "calendar": [{"observer": "IN", "party": "XX", "obligation": "annual_report", "late": ["2025"]}]}`,
		`{"version": 4, "calendar": [{"observer": "IN", "party": "BE", "obligation": "visits", "late": ["2025"]}]}`,
		`{"version": 4, "calendar": [{"observer": "IN", "party": "BE", "obligation": "annual_report"}]}`,
		`{"version": 4, "calendar": [{"observer": "IN", "party": "BE", "obligation": "annual_report", "missing": ["2025-Q1"]}]}`,
		`{"version": 4, "calendar": [{"observer": "IN", "party": "BE", "obligation": "trade_statistics", "late": ["2025"]}]}`,
		`not json`,
	} {
		if _, err := ReadTruth(strings.NewReader(in)); !errors.Is(err, ErrBadTruth) {
			t.Errorf("%s: error %v, want ErrBadTruth", in, err)
		}
	}
}
