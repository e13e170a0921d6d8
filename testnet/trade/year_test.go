package trade

import (
	"fmt"
	"testing"
)

// TestYearMatchesTruth replays a year, and two, of trade with and without
// anomalies into each node's reconciliation State and checks that the
// findings are exactly the expected ones: quarterly and yearly mirror
// comparisons with the lag verdict of each, quarter-on-quarter changes of
// clean trade, and every anomaly spread over the window.
func TestYearMatchesTruth(t *testing.T) {
	for i, c := range []struct {
		top       topology
		now       string
		days, anm int
	}{
		{topologies[1], nows[0], 365, 0},
		{topologies[1], nows[1], 365, 40},
		{topologies[2], nows[2], 730, 24},
		{topologies[1], nows[3], 730, 60},
	} {
		o := Options{Participants: c.top.parts, Links: c.top.links, Seed: int64(100 + i), Anomalies: c.anm, Now: mustTime(c.now), Days: c.days}
		t.Run(fmt.Sprintf("%s/%s/%dd/anomalies=%d", c.top.name, c.now, c.days, c.anm), func(t *testing.T) {
			p := mustGenerate(t, o)
			s := checkPlan(t, p)
			t.Logf("%d items, %d expected findings\n%s", len(p.Items), len(p.Expected), s)
		})
	}
}
