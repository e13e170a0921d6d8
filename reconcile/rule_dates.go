package reconcile

import "github.com/kpnode/kpnode/protocol"

// R6 dates: a confirmation's received date must fall within the
// certificate's validity (issued ≤ received ≤ expires), and so must a
// pre-notification's shipped date; a certificate may not expire before it
// is issued.
func (s *State) checkDates(sl *slot, out []Finding) []Finding {
	cr := sl.canonicalCert()
	if cr == nil {
		return out
	}
	c := cr.cert()
	var why problems
	var first protocol.Date
	if dateBefore(c.expires(), c.issued()) {
		why.add("expires %s before it was issued %s", c.expires(), c.issued())
	}
	check := func(what string, d protocol.Date, by string) {
		switch {
		case dateBefore(d, c.issued()):
			why.add("%s %s by %s, before issue on %s", what, d, by, c.issued())
		case dateBefore(c.expires(), d):
			why.add("%s %s by %s, after expiry on %s", what, d, by, c.expires())
		default:
			return
		}
		if first.IsZero() {
			first = d
		}
	}
	for _, r := range sl.confs {
		check("received", r.conf().Received, r.author())
	}
	for _, r := range sl.pres {
		check("shipped", r.pre().Shipped, r.author())
	}
	if len(why) == 0 {
		return out
	}
	f := s.slotFinding(ruleDates, sl, "")
	f.Numbers = map[string]string{"issued": c.issued().String(), "expires": c.expires().String()}
	if !first.IsZero() {
		f.Numbers["date"] = first.String()
	}
	f.Explanation = sprintf("%s dates out of order: %s", sl.name(), why)
	return append(out, f)
}
