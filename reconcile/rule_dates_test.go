package reconcile

import "testing"

func TestDates(t *testing.T) {
	cases := []struct {
		received, shipped string
		fires             bool
	}{
		{"2026-01-09", "2026-01-05", false},
		{"2026-01-05", "2026-01-05", false}, // issue day
		{"2026-03-06", "2026-03-06", false}, // expiry day
		{"2026-01-04", "2026-01-05", true},
		{"2026-03-07", "2026-01-05", true},
		{"2026-01-09", "2026-01-01", true},
		{"2026-01-09", "2026-04-01", true},
	}
	for _, tc := range cases {
		s := newState(t, "IN")
		f := feeds{}
		c := newCert("IN", "IN0001234", "BE", "2026-01-05") // expires 2026-03-06
		addAll(s, f.rec("IN", c), f.rec("IN", preNotify(c, tc.shipped)), f.rec("BE", confirm(c, tc.received)))
		got := ofRule(s.Findings(early), "R6")
		if (len(got) == 1) != tc.fires {
			t.Fatalf("received %s shipped %s: %v, want fired=%v", tc.received, tc.shipped, ids(got), tc.fires)
		}
	}
}
