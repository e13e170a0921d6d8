package reconcile

import (
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// R2 unconfirmed-shipment: a certificate that self issued, or that is
// addressed to self, without any import confirmation unconfirmed_days after
// its issue date (warning), escalate_days after it (critical). Also a
// certificate whose confirmation came in only after it had expired: the
// certificate's entry is dated before the end of its expiry day and the
// confirmation's entry after it (both entry times must be known, so
// histories imported after the fact do not trip it).
func (s *State) checkUnconfirmed(sl *slot, out []Finding) ([]Finding, int64) {
	cr := sl.canonicalCert()
	if cr == nil {
		return out, 0
	}
	c := cr.cert()
	if !s.involves(c.issuer(), c.destination()) {
		return out, 0
	}
	partner := s.other(c.issuer(), c.destination())
	th := s.cfg.forPartner(partner)
	if len(sl.confs) > 0 {
		return s.checkConfirmedLate(sl, cr, out), 0
	}
	warnAt := c.issued().Time().AddDate(0, 0, th.unconfirmedDays)
	critAt := c.issued().Time().AddDate(0, 0, th.escalateDays)
	if s.clock.IsZero() || s.clock.Before(warnAt) {
		return out, warnAt.Unix()
	}
	f := newFinding(ruleUnconfirmed, sl.name(), partner)
	f.Records = sl.refs()
	// The content depends on the level reached, not on the clock itself, so
	// that it changes only at the deadlines, when the slot is evaluated.
	f.Numbers = map[string]string{
		"issued":                c.issued().String(),
		"unconfirmed_days":      itoa(int64(th.unconfirmedDays)),
		"escalate_days":         itoa(int64(th.escalateDays)),
		"unconfirmed_since":     protocol.DateOf(warnAt).String(),
		"certificate_carats":    c.totalCarats().String(),
		"certificate_value_usd": c.totalValueUSD().String(),
	}
	f.Since = warnAt
	next := critAt.Unix()
	if !s.clock.Before(critAt) {
		f.Severity, f.Since, next = Critical, critAt, 0
		f.Explanation = sprintf("%s to %s, issued %s, has no import confirmation %d days after issue: escalated",
			sl.name(), c.destination(), c.issued(), th.escalateDays)
	} else {
		f.Explanation = sprintf("%s to %s, issued %s, has no import confirmation %d days after issue (escalates at %d days, %s)",
			sl.name(), c.destination(), c.issued(), th.unconfirmedDays, th.escalateDays, protocol.DateOf(critAt))
	}
	return append(out, f), next
}

func (s *State) checkConfirmedLate(sl *slot, cr *rec, out []Finding) []Finding {
	c := cr.cert()
	cf := sl.canonicalConf(c.destination())
	if cr.at == 0 || cf.at == 0 {
		return out
	}
	end := c.expires().Time().AddDate(0, 0, 1)
	if !cr.when().Before(end) || cf.when().Before(end) {
		return out
	}
	f := s.slotFinding(ruleUnconfirmed, sl, "")
	f.Numbers = map[string]string{
		"days_after_expiry": itoa(int64(cf.when().Sub(end)/(24*time.Hour)) + 1),
	}
	f.Explanation = sprintf("%s was confirmed by %s only on %s, after it expired on %s",
		sl.name(), cf.author(), cf.when().UTC().Format(time.DateOnly), c.expires())
	return append(out, f)
}
