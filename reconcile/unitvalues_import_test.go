package reconcile

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestParseUnitValuesHostile: what an operator's file may hold by mistake
// or by malice is refused whole, the file, row and column named.
func TestParseUnitValuesHostile(t *testing.T) {
	const header = "origin,hs_code,year,usd_per_carat,source\n"
	cases := map[string]struct {
		row            int
		column, reason string
	}{
		header + "CD,7102.31,2022,35,x\nCD,7102.31,2022,=1+1,x\n":          {3, "usd_per_carat", "spreadsheet formula"},
		header + "CD,7102.31,2022,35,\"=HYPERLINK(\"\"http://x\"\")\"\n":   {2, "source", "spreadsheet formula"},
		header + "CD,7102.31,2022,35,@SUM(A1)\n":                           {2, "source", "spreadsheet formula"},
		header + "CD,7102.31,2022,35,-2+3\n":                               {2, "source", "spreadsheet formula"},
		header + "CD,7102.31,2022,35,WGDE \u202eMDV\n":                     {2, "source", "bidirectional control"},
		header + "CD,7102.31,2022,35,caf\xe9\n":                            {2, "source", "not UTF-8"},
		header + "C\xff,7102.31,2022,35,x\n":                               {2, "origin", "not UTF-8"},
		header + "CD,7102.31,2022,-35,x\n":                                 {2, "usd_per_carat", "above zero"},
		header + "CD,7102.31,2022,0,x\n":                                   {2, "usd_per_carat", "above zero"},
		header + "CD,7102.31,2022,0.05,x\n":                                {2, "usd_per_carat", "outside 0.10 … 50000.00"},
		header + "CD,7102.31,2022,3500000,x\n":                             {2, "usd_per_carat", "outside"},
		header + "CD,7102.31,2022,1e9,x\n":                                 {2, "usd_per_carat", "decimal"},
		header + "XQ,7102.31,2022,35,x\n":                                  {2, "origin", "not a participant code"},
		header + "CD,7102.32,2022,35,x\n":                                  {2, "hs_code", "7102.10, 7102.21, 7102.31 or all"},
		header + "CD,7102.31,2022,35,x\nCD,7102.31,2022,35,again\n":        {3, "year", "listed twice"},
		"origin;hs_code;year;usd_per_carat;source\nCD;7102.31;2022;35;x\n": {1, "", "separated by semicolons"},
		"\xff\xfeo\x00r\x00i\x00g\x00i\x00n\x00\n":                         {1, "", "UTF-16"},
		"origin,year,usd_per_carat,note\nCD,2022,7,=A1\n":                  {2, "note", "spreadsheet formula"},
	}
	for in, want := range cases {
		u, err := ParseUnitValues("vdm.csv", strings.NewReader(in))
		var ue *UnitValuesError
		if !errors.As(err, &ue) || !errors.Is(err, ErrUnitValues) {
			t.Errorf("%q: got %v, want a *UnitValuesError", in, err)
			continue
		}
		if ue.File != "vdm.csv" || ue.Row != want.row || ue.Column != want.column || !strings.Contains(ue.Reason, want.reason) {
			t.Errorf("%q: got %+v, want row %d column %q reason ~%q", in, *ue, want.row, want.column, want.reason)
		}
		if u.Len() != 0 {
			t.Errorf("%q: %d rows from a refused table", in, u.Len())
		}
	}
}

// TestSetUnitValues: a new table moves R8's findings at once, as if the
// state had been built with it, and going back to the default restores
// the findings the default gives.
func TestSetUnitValues(t *testing.T) {
	table, err := ParseUnitValues("vdm-2022.csv", strings.NewReader(drcValuation))
	if err != nil {
		t.Fatal(err)
	}
	feedAll := func(s *State) {
		f := feeds{}
		addDRCGems(s, f)
		s.Add(f.rec("IN", certAt("IN0000100", "CD", "2022-05-01", "150.00")))
		s.Add(f.rec("IN", certAt("IN0000101", "CD", "2022-05-01", "2.00")))
	}
	s := newState(t, "IN")
	feedAll(s)
	before := ofRule(s.Findings(at("2022-06-01")), "R8")
	wantIDs(t, before, "R8/IN/IN0000101/1") // the all-quality average bounds gem lines from below only

	changed, cleared := s.SetUnitValues(DefaultUnitValues().With(table))
	after := ofRule(s.Findings(at("2022-06-01")), "R8")
	wantIDs(t, after, "R8/IN/IN0000100/1", "R8/IN/IN0000101/1")
	if !slices.ContainsFunc(changed, func(f Finding) bool { return f.ID == "R8/IN/IN0000100/1" }) || len(cleared) != 0 {
		t.Fatalf("changed %v, cleared %v", ids(changed), cleared)
	}
	g := find(t, after, "R8/IN/IN0000101/1")
	if g.Numbers["reference_source"] != "WGDE Valuation Data Matrix 2022" || !strings.Contains(g.Explanation, "CD 7102.31 2022, WGDE Valuation Data Matrix 2022") {
		t.Fatalf("%v\n%s", g.Numbers, g.Explanation)
	}

	// The same as a state built with the table from the start.
	fresh, err := NewState(DefaultConfig(), "IN", DefaultUnitValues().With(table))
	if err != nil {
		t.Fatal(err)
	}
	feedAll(fresh)
	if got, want := ofRule(fresh.Findings(at("2022-06-01")), "R8"), after; !sameFindings(got, want) {
		t.Fatalf("incremental %v, fresh %v", ids(want), ids(got))
	}

	_, cleared = s.SetUnitValues(DefaultUnitValues())
	wantIDs(t, ofRule(s.Findings(at("2022-06-01")), "R8"), "R8/IN/IN0000101/1")
	if !slices.Equal(cleared, []string{"R8/IN/IN0000100/1"}) {
		t.Fatalf("cleared %v", cleared)
	}
}

func sameFindings(a, b []Finding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Explanation != b[i].Explanation {
			return false
		}
	}
	return true
}
