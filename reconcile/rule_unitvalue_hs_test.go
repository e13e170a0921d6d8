package reconcile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// drcGemLines are issue 14's eleven normal DRC gem lines of 2022, at
// USD 22 … 46/ct, against an all-quality average of USD 7/ct.
var drcGemLines = []string{"22.00", "24.50", "27.00", "29.00", "31.00", "33.00", "35.50", "38.00", "41.00", "44.00", "46.00"}

func addDRCGems(s *State, f feeds) {
	for i, p := range drcGemLines {
		s.Add(f.rec("IN", certAt(fmt.Sprintf("IN%07d", i+1), "CD", "2022-05-01", p)))
	}
}

// TestUnitValueAllQualityAverageIsOneSided: an all-quality national
// average bounds gem lines from below and industrial lines from above
// only, so DRC gem lines are not held to DRC's industrial-dominated USD
// 7/ct.
func TestUnitValueAllQualityAverageIsOneSided(t *testing.T) {
	s := newState(t, "IN")
	f := feeds{}
	addDRCGems(s, f)
	wantIDs(t, ofRule(s.Findings(at("2022-06-01")), "R8"))
	// A gem line at USD 2/ct is below a third of the average.
	s.Add(f.rec("IN", certAt("IN0000100", "CD", "2022-05-01", "2.00")))
	// A Namibian industrial line above three times Namibia's average.
	ind := certAt("IN0000101", "NA", "2022-05-01", "2000.00")
	ind.Lines[0].HSCode = "7102.21"
	s.Add(f.rec("IN", ind))
	fs := ofRule(s.Findings(at("2022-06-01")), "R8")
	wantIDs(t, fs, "R8/IN/IN0000100/1", "R8/IN/IN0000101/1")
	g := find(t, fs, "R8/IN/IN0000100/1")
	if g.Numbers["reference_year"] != "2022" || g.Numbers["reference_hs_code"] != "all" || g.Numbers["reference_source"] != "production average" {
		t.Fatalf("%v", g.Numbers)
	}
	for _, want := range []string{"CD all qualities 2022", "production average", "below"} {
		if !strings.Contains(g.Explanation, want) {
			t.Fatalf("explanation lacks %q: %s", want, g.Explanation)
		}
	}
}

const drcValuation = `origin,hs_code,year,usd_per_carat,source
CD,7102.31,2022,35,WGDE Valuation Data Matrix 2022
CD,7102.21,2022,4.5,WGDE Valuation Data Matrix 2022
`

// TestUnitValueByHSCode: a reference for the origin and HS code is held
// to both sides of its band, and the explanation shows its source and
// year.
func TestUnitValueByHSCode(t *testing.T) {
	table, err := ParseUnitValues("vdm-2022.csv", strings.NewReader(drcValuation))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewState(DefaultConfig(), "IN", DefaultUnitValues().With(table))
	if err != nil {
		t.Fatal(err)
	}
	f := feeds{}
	addDRCGems(s, f)
	s.Add(f.rec("IN", certAt("IN0000100", "CD", "2022-05-01", "150.00"))) // above 35 × 3
	s.Add(f.rec("IN", certAt("IN0000101", "CD", "2022-05-01", "10.00")))  // below 35 / 3
	fs := ofRule(s.Findings(at("2022-06-01")), "R8")
	wantIDs(t, fs, "R8/IN/IN0000100/1", "R8/IN/IN0000101/1")
	g := fs[0]
	if g.Numbers["reference_usd_per_carat"] != "35.00" || g.Numbers["reference_hs_code"] != "7102.31" ||
		!strings.Contains(g.Explanation, "WGDE Valuation Data Matrix 2022") || !strings.Contains(g.Explanation, "2022") {
		t.Fatalf("%v\n%s", g.Numbers, g.Explanation)
	}
}

func TestParseUnitValuesErrors(t *testing.T) {
	const header = "origin,hs_code,year,usd_per_carat,source\n"
	cases := map[string]string{
		header + "CD,7102.99,2022,35,x\n":                                "vdm.csv: row 2, column hs_code",
		header + "CD,7102.31,2022,35,\n":                                 "vdm.csv: row 2, column source",
		header + "CD,7102.31,2022,35,x\nCD,7102.31,2022,36,y\n":          "vdm.csv: row 3, column year: CD 7102.31 2022 is listed twice",
		header + "CD,7102.31,2022,abc,x\n":                               "vdm.csv: row 2, column usd_per_carat",
		header + "CD,7102.31,2022,35,\"a\nb\"\n":                         "vdm.csv: row 2, column source: \"a\\nb\" is not one line",
		header + "CD,7102.31,2022,35," + strings.Repeat("x", 201) + "\n": "vdm.csv: row 2, column source: is 201 bytes",
		header + "EU,7102.31,2022,35,x\n":                                "", // a participant code is a code
		"origin,hs,year\n":                                               "vdm.csv: row 1: header",
	}
	for in, want := range cases {
		u, err := ParseUnitValues("vdm.csv", strings.NewReader(in))
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", in, err)
			}
			continue
		}
		if !errors.Is(err, ErrUnitValues) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
		if u.Len() != 0 {
			t.Errorf("%q: a table with an error yields %d rows, want none", in, u.Len())
		}
	}
	// A spreadsheet's byte-order mark is not part of the header.
	if u, err := ParseUnitValues("vdm.csv", strings.NewReader("\ufeff"+drcValuation)); err != nil || u.Len() != 2 {
		t.Fatalf("with a byte-order mark: %v", err)
	}
	// An operator table overrides the default's rows of the same origin,
	// HS code and year, and keeps the others.
	table, err := ParseUnitValues("vdm.csv", strings.NewReader(header+"BW,all,2022,200,newer average\n"))
	if err != nil {
		t.Fatal(err)
	}
	merged := DefaultUnitValues().With(table)
	if merged.Len() != DefaultUnitValues().Len() {
		t.Fatalf("%d rows", merged.Len())
	}
	if v, y, ok := merged.Lookup("BW", 2022); !ok || v.String() != "200.00" || y != 2022 {
		t.Fatalf("%v %d %v", v, y, ok)
	}
}
