package reconcile

import (
	"strconv"

	"github.com/kpnode/kpnode/protocol"
)

// R3 unknown-certificate: a confirmation or pre-notification cites a
// certificate the issuer never recorded, or a number outside the issuer's
// configured pattern or yearly range: possible forgery.
//
// "Never recorded" can only be said about an issuer whose own certificate
// records are here (self, or a partner that shares its certificates with
// self), and only for documents dated on or after the earliest of those
// certificates: older ones may predate the history the node holds.
func (s *State) checkUnknown(sl *slot, out []Finding) []Finding {
	if len(sl.confs)+len(sl.pres) == 0 {
		return out
	}
	var why problems
	var cited *rec
	if len(sl.certs) == 0 {
		if info, ok := s.shares(sl.issuer); ok {
			for _, r := range citing(sl) {
				if !dateBefore(docDate(r), info.first) {
					why.add("%s cites %s, which %s never recorded", r.author(), sl.number, sl.issuer)
					cited = r
					break
				}
			}
		}
	}
	if n := s.cfg.numbering[sl.issuer]; n != nil {
		for _, r := range citing(sl) {
			if reason := n.check(sl.number, docDate(r)); reason != "" {
				why.add("%s: %s", sl.number, reason)
				if cited == nil {
					cited = r
				}
				break
			}
		}
	}
	if cited == nil {
		return out
	}
	f := newFinding(ruleUnknown, sl.name(), s.other(sl.issuer, cited.author()))
	f.Records = sl.refs()
	f.Since = sl.newest()
	f.Numbers = map[string]string{"cited_by": cited.author(), "cited_on": docDate(cited).String()}
	switch cited.kind {
	case kindConf:
		f.Numbers["cited_carats"] = cited.conf().CaratsReceived.String()
	case kindPre:
		f.Numbers["cited_carats"] = cited.pre().Carats.String()
	}
	f.Explanation = sprintf("unknown certificate %s: %s; possible forgery", sl.name(), why)
	return append(out, f)
}

// citing returns the confirmations, then the pre-notifications, of sl.
func citing(sl *slot) []*rec {
	return append(append([]*rec(nil), sl.confs...), sl.pres...)
}

// docDate is the date a citing document gives: received or shipped.
func docDate(r *rec) protocol.Date {
	if r.kind == kindConf {
		return r.conf().Received
	}
	return r.pre().Shipped
}

// check returns why number does not fit the issuer's numbering, or "". The
// year is the pattern's "year" group, else that of date or the year before
// (a certificate issued in December may be received in January).
func (n *numbering) check(number string, date protocol.Date) string {
	var m []string
	if n.re != nil {
		if m = n.re.FindStringSubmatch(number); m == nil {
			return "does not match the issuer's numbering pattern"
		}
	}
	if len(n.ranges) == 0 {
		return ""
	}
	serial, ok := serialOf(number, m, n.serialIdx)
	if !ok {
		return "has no serial number to check against the yearly ranges"
	}
	years := []int{date.Year, date.Year - 1}
	if n.yearIdx >= 0 && m[n.yearIdx] != "" {
		y, _ := strconv.Atoi(m[n.yearIdx])
		if len(m[n.yearIdx]) == 2 {
			y += 2000
		}
		years = []int{y}
	}
	known := false
	for _, y := range years {
		r, ok := n.ranges[y]
		if !ok {
			continue
		}
		known = true
		if serial >= r.First && serial <= r.Last {
			return ""
		}
	}
	if !known {
		return "" // no range configured for the year: nothing to say
	}
	return sprintf("serial %d is outside the range the issuer used in %d", serial, years[0])
}

// serialOf returns the "serial" group, or the last run of digits.
func serialOf(number string, m []string, idx int) (uint64, bool) {
	digits := ""
	if idx >= 0 && m != nil {
		digits = m[idx]
	} else {
		end := len(number)
		for end > 0 && !isDigit(number[end-1]) {
			end--
		}
		start := end
		for start > 0 && isDigit(number[start-1]) {
			start--
		}
		digits = number[start:end]
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	return v, err == nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
