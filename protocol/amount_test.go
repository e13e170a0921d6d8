package protocol

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseCarats(t *testing.T) {
	tests := []struct {
		in   string
		want Carats
		ok   bool
	}{
		{"12", 1200, true},
		{"12.5", 1250, true},
		{"12.50", 1250, true},
		{"0", 0, true},
		{"0.01", 1, true},
		{"0.5", 50, true},
		{"1234.05", 123405, true},
		{"92233720368547758.07", 9223372036854775807, true},
		{"92233720368547758.08", 0, false},
		{"92233720368547759", 0, false},
		{"99999999999999999999999", 0, false},
		{"", 0, false},
		{".", 0, false},
		{".5", 0, false},
		{"12.", 0, false},
		{"12.505", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{"1E3", 0, false},
		{"01", 0, false},
		{"00.50", 0, false},
		{" 12", 0, false},
		{"12 ", 0, false},
		{"1,000.00", 0, false},
		{"1_000", 0, false},
		{"12.5.0", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"0x10", 0, false},
		{"١٢", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseCarats(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseCarats(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		u, uerr := ParseUSD(tt.in)
		if (uerr == nil) != tt.ok || int64(u) != int64(got) {
			t.Errorf("ParseUSD(%q) = %d, %v; differs from ParseCarats", tt.in, u, uerr)
		}
	}
}

func TestAmountString(t *testing.T) {
	tests := []struct {
		v    int64
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {50, "0.50"}, {1250, "12.50"}, {123405, "1234.05"},
		{-1, "-0.01"}, {-1250, "-12.50"},
		{9223372036854775807, "92233720368547758.07"},
		{-9223372036854775808, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := Carats(tt.v).String(); got != tt.want {
			t.Errorf("Carats(%d).String() = %q, want %q", tt.v, got, tt.want)
		}
		if got := USD(tt.v).String(); got != tt.want {
			t.Errorf("USD(%d).String() = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestAmountJSON(t *testing.T) {
	type doc struct {
		C Carats `json:"c"`
		U USD    `json:"u"`
	}
	b, err := json.Marshal(doc{C: 1250, U: 180000})
	if err != nil || string(b) != `{"c":"12.50","u":"1800.00"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"c":"12.5","u":"1800"}`), &d); err != nil || d.C != 1250 || d.U != 180000 {
		t.Errorf("Unmarshal = %+v, %v", d, err)
	}
	for _, bad := range []string{`{"c":12.5}`, `{"c":12}`, `{"u":1e3}`, `{"c":"1e3"}`, `{"c":"-1"}`, `{"c":true}`, `{"u":"12.345"}`} {
		var d doc
		err := json.Unmarshal([]byte(bad), &d)
		if err == nil {
			t.Errorf("Unmarshal(%s) succeeded: %+v", bad, d)
		}
	}
	var c Carats
	if err := json.Unmarshal([]byte(`12.5`), &c); err == nil || !strings.Contains(err.Error(), "not a JSON number") {
		t.Errorf("Unmarshal(number) = %v, want a message about JSON numbers", err)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"2026-11-20", true},
		{"2024-02-29", true},
		{"2026-02-29", false},
		{"2026-13-01", false},
		{"2026-00-10", false},
		{"2026-1-20", false},
		{"26-11-20", false},
		{"2026-11-20T00:00:00Z", false},
		{"2026/11/20", false},
		{" 2026-11-20", false},
		{"", false},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.in)
		if (err == nil) != tt.ok || (tt.ok && d.String() != tt.in) {
			t.Errorf("ParseDate(%q) = %v, %v; ok %v", tt.in, d, err, tt.ok)
		}
	}
}

func TestDateOrder(t *testing.T) {
	a, b := Date{2026, 1, 31}, Date{2026, 2, 1}
	if !a.Before(b) || a.After(b) || !b.After(a) || a.Compare(a) != 0 || a.IsZero() || !(Date{}).IsZero() {
		t.Error("date comparisons are wrong")
	}
	var d struct {
		D Date `json:"d"`
		E Date `json:"e,omitzero"`
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-11-20"}`), &d); err != nil || d.D != (Date{2026, 11, 20}) {
		t.Fatalf("Unmarshal = %v, %v", d, err)
	}
	if b, _ := json.Marshal(d); string(b) != `{"d":"2026-11-20"}` {
		t.Errorf("Marshal = %s", b)
	}
	if err := json.Unmarshal([]byte(`{"d":20261120}`), &d); err == nil {
		t.Error("Unmarshal accepted a number as a date")
	}
}

// TestFormatMatchesFmt checks the hand-written formatting of amounts and
// dates against the fmt formats they replace.
func TestFormatMatchesFmt(t *testing.T) {
	for _, v := range []int64{0, 1, 9, 10, 99, 100, 101, 183035, -1, -100, -183035, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		sign, u := "", uint64(v)
		if v < 0 {
			sign, u = "-", uint64(-(v+1))+1
		}
		if got, want := formatHundredths(v), fmt.Sprintf("%s%d.%02d", sign, u/100, u%100); got != want {
			t.Errorf("formatHundredths(%d) = %q, want %q", v, got, want)
		}
	}
	for _, y := range []int{-5, 0, 7, 2026, 9999, 10000} {
		for m := -1; m <= 100; m += 13 {
			for _, d := range []int{-1, 0, 1, 9, 31, 99, 100} {
				date := Date{y, time.Month(m), d}
				if got, want := date.String(), fmt.Sprintf("%04d-%02d-%02d", y, m, d); got != want {
					t.Errorf("%#v.String() = %q, want %q", date, got, want)
				}
			}
		}
	}
}
