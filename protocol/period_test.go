package protocol

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseQuarter(t *testing.T) {
	tests := []struct {
		in         string
		year, num  int
		ok         bool
		start, end Date
	}{
		{"2011-Q3", 2011, 3, true, Date{2011, 7, 1}, Date{2011, 9, 30}},
		{"2011-Q1", 2011, 1, true, Date{2011, 1, 1}, Date{2011, 3, 31}},
		{"2012-Q1", 2012, 1, true, Date{2012, 1, 1}, Date{2012, 3, 31}},
		{"2004-Q4", 2004, 4, true, Date{2004, 10, 1}, Date{2004, 12, 31}},
		{"0000-Q2", 0, 2, true, Date{0, 4, 1}, Date{0, 6, 30}},
		{"9999-Q4", 9999, 4, true, Date{9999, 10, 1}, Date{9999, 12, 31}},
		{"2011-Q0", 0, 0, false, Date{}, Date{}},
		{"2011-Q5", 0, 0, false, Date{}, Date{}},
		{"2011-q3", 0, 0, false, Date{}, Date{}},
		{"2011-H2", 0, 0, false, Date{}, Date{}},
		{"2011Q3", 0, 0, false, Date{}, Date{}},
		{"2011-Q03", 0, 0, false, Date{}, Date{}},
		{"11-Q3", 0, 0, false, Date{}, Date{}},
		{"+011-Q3", 0, 0, false, Date{}, Date{}},
		{" 2011-Q3", 0, 0, false, Date{}, Date{}},
		{"2011-Q3 ", 0, 0, false, Date{}, Date{}},
		{"2011_Q3", 0, 0, false, Date{}, Date{}},
		{"２０１１-Q3", 0, 0, false, Date{}, Date{}},
		{"2011-Q٣", 0, 0, false, Date{}, Date{}},
		{"", 0, 0, false, Date{}, Date{}},
	}
	for _, tt := range tests {
		q, err := ParseQuarter(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseQuarter(%q) = %v, %v; want ok %v", tt.in, q, err, tt.ok)
			continue
		}
		if !tt.ok {
			if !q.IsZero() {
				t.Errorf("ParseQuarter(%q) returned %v with an error", tt.in, q)
			}
			continue
		}
		if q.Year() != tt.year || q.Number() != tt.num || q.String() != tt.in || q.Start() != tt.start || q.End() != tt.end {
			t.Errorf("ParseQuarter(%q) = %v (year %d, num %d, %v..%v)", tt.in, q, q.Year(), q.Number(), q.Start(), q.End())
		}
	}
}

func TestParseHalf(t *testing.T) {
	tests := []struct {
		in         string
		ok         bool
		start, end Date
	}{
		{"2011-H2", true, Date{2011, 7, 1}, Date{2011, 12, 31}},
		{"2024-H1", true, Date{2024, 1, 1}, Date{2024, 6, 30}},
		{"2011-H0", false, Date{}, Date{}},
		{"2011-H3", false, Date{}, Date{}},
		{"2011-h2", false, Date{}, Date{}},
		{"2011-Q2", false, Date{}, Date{}},
		{"2011-S2", false, Date{}, Date{}},
		{"2011", false, Date{}, Date{}},
	}
	for _, tt := range tests {
		h, err := ParseHalf(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseHalf(%q) = %v, %v; want ok %v", tt.in, h, err, tt.ok)
			continue
		}
		if tt.ok && (h.String() != tt.in || h.Start() != tt.start || h.End() != tt.end) {
			t.Errorf("ParseHalf(%q) = %v, %v..%v", tt.in, h, h.Start(), h.End())
		}
	}
}

func mustQuarter(t *testing.T, s string) Quarter {
	t.Helper()
	q, err := ParseQuarter(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestQuarterArithmetic(t *testing.T) {
	q := mustQuarter(t, "2011-Q4")
	if got := q.Next().String(); got != "2012-Q1" {
		t.Errorf("2011-Q4.Next() = %s", got)
	}
	if got := mustQuarter(t, "2012-Q1").Prev().String(); got != "2011-Q4" {
		t.Errorf("2012-Q1.Prev() = %s", got)
	}
	if got := mustQuarter(t, "2011-Q2").Next().Next().String(); got != "2011-Q4" {
		t.Errorf("2011-Q2 + 2 = %s", got)
	}
	for _, tt := range []struct {
		d    Date
		want bool
	}{
		{Date{2011, 10, 1}, true}, {Date{2011, 12, 31}, true}, {Date{2011, 11, 15}, true},
		{Date{2011, 9, 30}, false}, {Date{2012, 1, 1}, false}, {Date{2010, 11, 15}, false}, {Date{}, false},
	} {
		if got := q.Contains(tt.d); got != tt.want {
			t.Errorf("%s.Contains(%s) = %v", q, tt.d, got)
		}
	}
	if (Quarter{}).Contains(Date{0, 1, 1}) {
		t.Error("the zero Quarter contains a date")
	}
	if got := QuarterOf(Date{2026, 2, 28}).String(); got != "2026-Q1" {
		t.Errorf("QuarterOf(2026-02-28) = %s", got)
	}
	if mustQuarter(t, "2012-Q1").Compare(q) != 1 || q.Compare(q) != 0 || mustQuarter(t, "2011-Q3").Compare(q) != -1 ||
		mustQuarter(t, "2010-Q4").Compare(q) != -1 {
		t.Error("Compare orders wrongly")
	}
	if got := q.Half().String(); got != "2011-H2" {
		t.Errorf("2011-Q4.Half() = %s", got)
	}
	if got := mustQuarter(t, "2011-Q2").Half().String(); got != "2011-H1" {
		t.Errorf("2011-Q2.Half() = %s", got)
	}
	leap := mustQuarter(t, "2024-Q1")
	if leap.End() != (Date{2024, 3, 31}) || !leap.Contains(Date{2024, 2, 29}) {
		t.Errorf("2024-Q1 ends %s", leap.End())
	}
}

func TestHalfArithmetic(t *testing.T) {
	h, _ := ParseHalf("2011-H2")
	if h.Next().String() != "2012-H1" || h.Prev().String() != "2011-H1" || h.Next().Prev() != h {
		t.Errorf("Next %s, Prev %s", h.Next(), h.Prev())
	}
	if !h.Contains(Date{2011, 7, 1}) || h.Contains(Date{2011, 6, 30}) || HalfOf(Date{2011, 6, 30}) != h.Prev() {
		t.Error("Contains or HalfOf wrong at the boundary")
	}
	qs := h.Quarters()
	if qs[0].String() != "2011-Q3" || qs[1].String() != "2011-Q4" {
		t.Errorf("Quarters() = %v", qs)
	}
	if h.Compare(h.Next()) != -1 || h.Year() != 2011 || h.Number() != 2 {
		t.Error("Compare, Year or Number wrong")
	}
}

func TestPeriodJSON(t *testing.T) {
	var v struct {
		Q Quarter `json:"q"`
		H Half    `json:"h"`
	}
	if err := json.Unmarshal([]byte(`{"q":"2011-Q3","h":"2011-H2"}`), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"q":"2011-Q3","h":"2011-H2"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"q":"2011-Q9"}`), &v); err == nil {
		t.Error("2011-Q9 unmarshalled")
	}
	if err := json.Unmarshal([]byte(`{"h":"2011-Q1"}`), &v); err == nil {
		t.Error("a quarter unmarshalled as a half")
	}
}

// TestQuarterOfEveryDay walks ten years day by day: every day is in exactly
// the quarter and half QuarterOf and HalfOf name, and in no neighbour.
func TestQuarterOfEveryDay(t *testing.T) {
	for d := (Date{2009, 1, 1}); d.Year < 2019; d = DateOf(d.Time().Add(24 * time.Hour)) {
		q, h := QuarterOf(d), HalfOf(d)
		if !q.Contains(d) || q.Next().Contains(d) || q.Prev().Contains(d) || !h.Contains(d) || h.Next().Contains(d) {
			t.Fatalf("%s: quarter %s, half %s", d, q, h)
		}
		if q.Half() != h {
			t.Fatalf("%s: %s.Half() = %s, want %s", d, q, q.Half(), h)
		}
	}
}
