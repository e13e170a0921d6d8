package trade

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// TestMissingAnnualReport checks that R11's third kind of anomaly, a node
// whose annual report is missing, is in the ground truth (at the node and
// every partner) and that reconciliation raises exactly it, also when the
// next report falls due during the two weeks the truth holds.
func TestMissingAnnualReport(t *testing.T) {
	for _, now := range []string{nows[0], "2026-03-25T12:00:00Z"} {
		p := mustGenerate(t, Options{Participants: five, Links: mesh(five), Days: 30, Seed: 5, Anomalies: 36, Now: mustTime(now)})
		var found []Expected
		for _, e := range p.Expected {
			if strings.HasSuffix(e.ID, "/annual-report/missing") {
				found = append(found, e)
			}
		}
		if len(found) != 1 || len(found[0].Observers) != len(five) {
			t.Fatalf("%s: missing annual reports expected %+v", now, found)
		}
		checkPlan(t, p)
	}
}

func TestReportYears(t *testing.T) {
	for now, want := range map[string][]int{
		"2026-05-14T10:00:00Z": {2025},
		"2026-03-31T23:59:59Z": {2024, 2025},
		"2026-03-18T00:00:00Z": {2024, 2025},
		"2026-03-17T23:59:59Z": {2024},
		"2026-04-01T00:00:00Z": {2025},
	} {
		at, _ := time.Parse(time.RFC3339, now)
		if got := reportYears(protocol.DateOf(at), at); !slices.Equal(got, want) {
			t.Errorf("reportYears(%s) = %v, want %v", now, got, want)
		}
	}
	// A window of two years reports every year due in it.
	at, _ := time.Parse(time.RFC3339, "2026-05-14T10:00:00Z")
	from := protocol.DateOf(at.AddDate(-2, 0, 1))
	if got := reportYears(from, at); !slices.Equal(got, []int{2024, 2025}) {
		t.Errorf("reportYears(%s, %s) = %v, want [2024 2025]", from, at, got)
	}
}
