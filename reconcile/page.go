package reconcile

import (
	"strconv"
	"strings"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Generation returns a number that changes whenever the current findings
// may have changed, so that a caller can keep what it derived from them
// (counts by group) until then. Moving the clock may change them too.
func (s *State) Generation() uint64 { return s.gen }

// RuleID returns the id ("R9") of the rule named by id or name ("r9",
// "mirror-statistics"), and whether there is one.
func RuleID(rule string) (string, bool) {
	for _, r := range ruleTable {
		if strings.EqualFold(rule, r.ID) || rule == r.Name {
			return r.ID, true
		}
	}
	return "", false
}

// sortedHeld returns the current findings, sorted by id.
func (s *State) sortedHeld() []*held {
	if s.order == nil || len(s.order) != len(s.active) {
		s.order = make([]*held, 0, len(s.active))
		for _, h := range s.active {
			s.order = append(s.order, h)
		}
		sortHeld(s.order)
	}
	return s.order
}

// Period returns the reporting period the current finding id concerns
// (see [State.period]), "" when there is no such finding.
func (s *State) Period(id string) string {
	h, ok := s.active[id]
	if !ok {
		return ""
	}
	return s.names.name(h.period)
}

// period is the quarter ("2026-Q3") of the certificate a slot's finding
// is about (its issue date, else the confirmation's receipt or the
// pre-notification's shipment), the quarter, half-year ("2026-H1") or
// year of a statistics finding, else the quarter of since, its Since.
// h's slot and subject place it.
func (s *State) period(h *held, since time.Time) string {
	if h.slot != nil {
		if d, ok := slotDate(h.slot); ok {
			return quarterText(protocol.QuarterOf(d))
		}
	} else {
		switch h.subject().kind {
		case subjMirrorQ, subjCertStats, subjChange:
			return quarterText(h.subject().q)
		case subjMirrorY:
			return strconv.Itoa(h.subject().year)
		case subjProduction:
			return h.subject().h.String()
		}
	}
	if since.IsZero() {
		return ""
	}
	return quarterText(protocol.QuarterOf(protocol.DateOf(since)))
}

// quarterText is q.String() without fmt: a summary formats one for each
// of 200,000 findings.
func quarterText(q protocol.Quarter) string {
	if q.Year() < 1000 || q.Year() > 9999 {
		return q.String()
	}
	return strconv.Itoa(q.Year()) + "-Q" + strconv.Itoa(q.Number())
}

// slotDate returns the date that places a slot in a period.
func slotDate(sl *slot) (protocol.Date, bool) {
	if cr := sl.canonicalCert(); cr != nil {
		return cr.cert().issued(), true
	}
	if len(sl.confs) > 0 {
		return sl.confs[0].conf().Received, true
	}
	if len(sl.pres) > 0 {
		return sl.pres[0].pre().Shipped, true
	}
	return protocol.Date{}, false
}
