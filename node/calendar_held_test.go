package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kpnode/kpnode/reconcile"
)

// calPeriod returns code's trade statistics period p in n's calendar.
func calPeriod(n *Node, code, p string) (reconcile.PeriodStatus, bool) {
	for _, pc := range n.Calendar().Parties {
		for _, op := range pc.Obligations {
			for _, ps := range op.Periods {
				if pc.Code == code && op.Obligation == "trade_statistics" && ps.Period == p {
					return ps, true
				}
			}
		}
	}
	return reconcile.PeriodStatus{}, false
}

// TestCalendarBackdatedPartner: BE's clock says 20 May 2025 when it
// publishes its 2025-Q1 statistics (due 1 June 2025) today: IN, which
// first held them today, judges them late and shows both dates; BE's own
// calendar, by its own clock, says on time.
func TestCalendarBackdatedPartner(t *testing.T) {
	signed := time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)
	in, be := testNode(t, "IN"), testNodeAt(t, "BE", func() time.Time { return signed })
	pin(t, in, be)
	pin(t, be, in)
	stats := `{"version":1,"reporter":"BE","period":"2025-Q1","flow":"import","partner":"IN","hs_code":"7102.31","carats":"12.5","value_usd":"1000.00","certificates":1}`
	if _, err := be.Publish(context.Background(), "trade_statistics", []byte(stats), []string{"IN"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC()
	var ps reconcile.PeriodStatus
	eventually(t, 30*time.Second, "BE's 2025-Q1 at IN", func() error {
		var ok bool
		if ps, ok = calPeriod(in, "BE", "2025-Q1"); !ok || ps.Received.IsZero() {
			return fmt.Errorf("%+v", ps)
		}
		return nil
	})
	if ps.Status != reconcile.StatusLate || !ps.Signed.Equal(signed) || ps.Held.Before(start.Add(-time.Minute)) {
		t.Errorf("at IN: %+v, want late, signed %s, held today", ps, signed)
	}
	if own, _ := calPeriod(be, "BE", "2025-Q1"); own.Status != reconcile.StatusOnTime || !own.Held.IsZero() {
		t.Errorf("at BE itself: %+v, want on time by its own signed time", own)
	}
}
