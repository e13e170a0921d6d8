package trade

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// Limits of [Options].
const (
	DefaultDays = 90 // days of trade when Options.Days is zero
	// MaxDays is two years: every calendar year's obligations (four
	// quarters compared as a year, an annual report) then fall inside the
	// window at least once, whatever the day of the load.
	MaxDays  = 730
	MaxScale = 100 // Options.Scale at most
)

// Options say what trade to generate. The zero value of Days, Scale and
// Anomalies gives the defaults; Participants and Now are required.
type Options struct {
	// Participants are the node codes (protocol.ValidCode), such as "IN",
	// "BE", "AE", "ZA", "BW". BE stands for the EU's Antwerp authority.
	Participants []string `json:"participants"`
	// Links are the partner pairs; records flow only between partners.
	Links [][2]string `json:"links"`
	// Days is the length of the trade window ending at Now: 1..MaxDays,
	// 0 for DefaultDays. The window is widened to at least 45 days and
	// into at least the last 14 days of the previous quarter, so that the
	// rules on deadlines (R2) and on statistics (R9–R11) have something to
	// work on; Plan.From gives the first day actually generated.
	Days int `json:"days"`
	// Seed makes the trade: the same Options give byte-identical plans.
	Seed int64 `json:"seed"`
	// Anomalies is how many anomalies to inject, spread round-robin over
	// the rules R1..R12 the topology allows; 0 injects none.
	Anomalies int `json:"anomalies"`
	// Now is the wall-clock time of the load: entries are published
	// within a day of Now, and the ground truth holds when reconciliation
	// is evaluated at any time from Now to two weeks later.
	Now time.Time `json:"now"`
	// Scale multiplies the number of certificates a day (0 means 1): at 1,
	// five nodes trade about 10 certificates a day, a tenth or so of the
	// real Antwerp–Mumbai–Dubai volumes.
	Scale float64 `json:"scale,omitempty"`
}

// normalize checks o and returns it with defaults filled in, participants
// sorted and links ordered (lower code first) and sorted.
func (o Options) normalize() (Options, error) {
	if o.Now.IsZero() {
		return o, badOption("now", "is required (the wall-clock time of the load)")
	}
	o.Now = o.Now.UTC()
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	switch {
	case o.Days < 1 || o.Days > MaxDays:
		return o, badOption("days", "must be 1..%d, got %d", MaxDays, o.Days)
	case !(o.Scale > 0 && o.Scale <= MaxScale):
		return o, badOption("scale", "must be more than 0 and at most %d, got %v", MaxScale, o.Scale)
	case o.Anomalies < 0:
		return o, badOption("anomalies", "must not be negative, got %d", o.Anomalies)
	}
	parts, err := checkParticipants(o.Participants)
	if err != nil {
		return o, err
	}
	links, err := checkLinks(o.Links, parts)
	if err != nil {
		return o, err
	}
	o.Participants, o.Links = parts, links
	return o, nil
}

func checkParticipants(codes []string) ([]string, error) {
	if len(codes) == 0 {
		return nil, badOption("participants", "at least one node code is required")
	}
	out := slices.Clone(codes)
	for i, c := range out {
		if !protocol.ValidCode(c) {
			return nil, badOption(fmt.Sprintf("participants[%d]", i), "%q is not a node code", c)
		}
	}
	slices.Sort(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, badOption("participants", "%q is listed twice", out[i])
		}
	}
	return out, nil
}

func checkLinks(links [][2]string, parts []string) ([][2]string, error) {
	out := make([][2]string, 0, len(links))
	for i, l := range links {
		name := fmt.Sprintf("links[%d]", i)
		for _, c := range l {
			if _, ok := slices.BinarySearch(parts, c); !ok {
				return nil, badOption(name, "%q is not one of the participants", c)
			}
		}
		if l[0] == l[1] {
			return nil, badOption(name, "links %q to itself", l[0])
		}
		if l[0] > l[1] {
			l[0], l[1] = l[1], l[0]
		}
		if slices.Contains(out, l) {
			return nil, badOption(name, "%s–%s is listed twice", l[0], l[1])
		}
		out = append(out, l)
	}
	slices.SortFunc(out, compareLinks)
	return out, nil
}

func compareLinks(a, b [2]string) int {
	if c := cmp.Compare(a[0], b[0]); c != 0 {
		return c
	}
	return cmp.Compare(a[1], b[1])
}

func badOption(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadOptions, field, fmt.Sprintf(format, args...))
}
