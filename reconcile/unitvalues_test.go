package reconcile

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultUnitValues(t *testing.T) {
	u := DefaultUnitValues()
	if u.Len() != 36 {
		t.Fatalf("%d rows", u.Len())
	}
	for _, tc := range []struct {
		origin   string
		year     int
		want     string
		wantYear int
		wantOK   bool
	}{
		{"BW", 2016, "139.00", 2016, true},
		{"BW", 2019, "139.00", 2016, true}, // the latest year not after
		{"BW", 2005, "170.00", 2011, true}, // before the first: the earliest
		{"CD", 2009, "10.60", 2009, true},
		{"WORLD", 2030, "134.00", 2022, true},
		{"GY", 2016, "", 0, false},
	} {
		v, y, ok := u.Lookup(tc.origin, tc.year)
		if ok != tc.wantOK || ok && (v.String() != tc.want || y != tc.wantYear) {
			t.Errorf("%s %d: %v %d %v", tc.origin, tc.year, v, y, ok)
		}
	}
}

func TestLoadUnitValuesErrors(t *testing.T) {
	const header = "origin,year,usd_per_carat,note\n"
	cases := map[string]string{
		"":                    "row 1: the header",
		"origin,year,price\n": "row 1: header",
		header + "BW,2016,139,x\nbw,2016,139,x\n": "row 3, column origin",
		header + "BW,16,139,x\n":                  "row 2, column year",
		header + "BW,2016,-3,x\n":                 "row 2, column usd_per_carat",
		header + "BW,2016,0,x\n":                  "row 2, column usd_per_carat",
		header + "BW,2016,1.234,x\n":              "row 2, column usd_per_carat",
		header + "BW,2016,139\n":                  "row 2: has 3 columns",
		header + "BW,2016,139,x\nBW,2016,140,y\n": "row 3, column year: BW 2016 is listed twice",
		header + "BW,2016,\"139,x\n":              "row 2: line 2",
	}
	for in, want := range cases {
		_, err := LoadUnitValues(strings.NewReader(in))
		if !errors.Is(err, ErrUnitValues) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
	u, err := LoadUnitValues(strings.NewReader("origin,year,usd_per_carat\nNA,2016,533\n"))
	if err != nil || u.Len() != 1 {
		t.Fatalf("without notes: %v", err)
	}
}
