package node

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"filippo.io/age"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
)

// Who reads a record (docs/records.md, "Who reads a record"): by default
// the pinned partners that are party to it (protocol.Parties, widened to
// the authorities that are one Participant with them); a partner that is
// not party to it only when the operator names it and says so
// (AllowNonParty), which the audit log records.

// ErrNonParty is returned when an audience names a partner that is not
// party to a record and the request does not allow it; the message names
// the record, its parties and the partner.
var ErrNonParty = errors.New("partner is not party to the record")

// ErrNoParty is returned when no audience was named for a record whose
// type names no party (an anomaly query): only the operator can say who
// reads it.
var ErrNoParty = errors.New("record names no party: name its audience")

// AuditNonParty is the audit action of a record sent, as the operator
// asked, to partners that are not party to it.
const AuditNonParty = "audience.non_party"

// audienceRule chooses the audience of each record of one publish or
// import.
type audienceRule struct {
	n             *Node
	to            []string // as asked: partner codes, "all", or none for the parties
	allowNonParty bool
	byCode        map[string]*roster.Keys // the pinned partners
	explicit      []string                // to resolved, when given
}

// audienceChoice is who reads one record.
type audienceChoice struct {
	codes    []string // the audience: pinned partners, sorted
	nonParty []string // those of codes not party to the record
	unpinned []string // parties no pinned partner stands for
}

// newAudienceRule resolves to against the partners pinned now.
func (n *Node) newAudienceRule(to []string, allowNonParty bool) (*audienceRule, error) {
	byCode := n.roster.Snapshot().KeysByCode()
	a := &audienceRule{n: n, to: to, allowNonParty: allowNonParty, byCode: byCode}
	if len(to) > 0 {
		codes, err := audienceCodes(to, byCode, n.cfg.Participant)
		if err != nil {
			return nil, err
		}
		a.explicit = codes
	}
	return a, nil
}

// choose returns the audience of parsed record v; what names it in
// errors ("record 3", "certificate IN0001234").
func (a *audienceRule) choose(v protocol.Record) (audienceChoice, error) {
	parties, ok, err := a.parties(v)
	if err != nil {
		return audienceChoice{}, err
	}
	if !ok {
		return a.noParties(v)
	}
	readers := partyReaders(parties)
	var c audienceChoice
	for _, p := range parties {
		if !slices.ContainsFunc(protocol.SameParticipant(p), func(code string) bool { return a.byCode[code] != nil }) {
			c.unpinned = append(c.unpinned, p)
		}
	}
	if a.explicit == nil {
		for _, code := range readers {
			if a.byCode[code] != nil {
				c.codes = append(c.codes, code)
			}
		}
		return c, nil
	}
	c.codes = a.explicit
	for _, code := range a.explicit {
		if !slices.Contains(readers, code) {
			c.nonParty = append(c.nonParty, code)
		}
	}
	if len(c.nonParty) > 0 && !a.allowNonParty {
		return c, fmt.Errorf("%w: %s is for %s, not %s: leave the audience out to send it to its parties, or allow non-parties explicitly (--allow-non-party; audited)",
			ErrNonParty, describeRecord(v), strings.Join(parties, ", "), strings.Join(c.nonParty, ", "))
	}
	return c, nil
}

// noParties is the audience of a record whose type names no party: the
// partners named, or every partner for the types the whole KP reads
// (production statistics, notices).
func (a *audienceRule) noParties(v protocol.Record) (audienceChoice, error) {
	if a.explicit != nil {
		return audienceChoice{codes: a.explicit}, nil
	}
	if v != nil && v.ForEveryPartner() {
		codes, err := audienceCodes([]string{AudienceAll}, a.byCode, a.n.cfg.Participant)
		return audienceChoice{codes: codes}, err
	}
	return audienceChoice{}, fmt.Errorf("%w: a %s goes to whom the operator names (--to CODES, or --to all)", ErrNoParty, nounOf(v))
}

// parties returns the parties of v; a withdrawal's are the audience of
// the entry it withdraws.
func (a *audienceRule) parties(v protocol.Record) ([]string, bool, error) {
	if v == nil { // a type without a typed parser names no party
		return nil, false, nil
	}
	w, ok := v.(*protocol.Withdrawal)
	if !ok {
		p, ok := v.Parties()
		return p, ok, nil
	}
	e, err := a.n.st.Entry(a.n.id.Public(), w.Supersedes.Seq)
	if err != nil {
		return nil, false, fmt.Errorf("%w: the withdrawn entry %d: %w", ErrInvalidRecord, w.Supersedes.Seq, err)
	}
	return e.Audience, true, nil
}

// recipients returns the sealing recipients of codes, pinned partners.
func (a *audienceRule) recipients(codes []string) []age.Recipient {
	rcpts := make([]age.Recipient, 0, len(codes)+1)
	for _, c := range codes {
		rcpts = append(rcpts, a.byCode[c].Seal)
	}
	return rcpts
}

// partyReaders returns the parties widened to the authorities that are one
// Participant with each, sorted.
func partyReaders(parties []string) []string {
	var out []string
	for _, p := range parties {
		out = append(out, protocol.SameParticipant(p)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// nounOf names the type of v for people; "record" for nil, the value
// of a type without a typed parser.
func nounOf(v protocol.Record) string {
	if v == nil {
		return "record"
	}
	return v.Noun()
}

// describeRecord names parsed record v by its type and natural key:
// "certificate IN/IN0001234".
func describeRecord(v protocol.Record) string {
	if k, ok := v.(interface{ NaturalKey() string }); ok {
		key := k.NaturalKey()
		return v.Noun() + " " + key[strings.IndexByte(key, '/')+1:]
	}
	return nounOf(v)
}

// auditNonParty records entries sent to partners not party to their
// records (records of them), when there are any.
func (n *Node) auditNonParty(actor, typ string, seqs []uint64, nonParty []string, records int) error {
	if len(nonParty) == 0 || len(seqs) == 0 {
		return nil
	}
	return n.auditAs(actor, AuditNonParty, map[string]any{"type": typ, "entries": seqs, "non_party": nonParty, "records": records})
}

// unpinnedWarnings says which parties no pinned partner stands for, over
// records records.
func unpinnedWarnings(unpinned []string, records int) []string {
	if len(unpinned) == 0 {
		return nil
	}
	what := "the record is"
	if records != 1 {
		what = fmt.Sprintf("%d records are", records)
	}
	return []string{fmt.Sprintf("%s for %s, not a pinned partner: kept in this node's feed, where no partner can read it (an entry keeps its audience: pin the partner before publishing what it must read)",
		what, strings.Join(unpinned, ", "))}
}

// audienceGroup is the records of an import that go to one audience, in
// file order.
type audienceGroup struct {
	codes []string
	items [][]byte
}

// importGroups splits validated items by audience, groups in the order
// of their first item, and collects what the import must report: the
// partners not party to what they receive, parties no partner stands for,
// partners that were no active participant on a record's date.
func (n *Node) importGroups(rule *audienceRule, typ string, items [][]byte) (groups []audienceGroup, nonParty, warnings []string, err error) {
	index := map[string]int{}
	unpinned := map[string]int{} // party → records
	standings := n.newAudienceStandings()
	for i, it := range items {
		v, err := protocol.ParseRecord(typ, it)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: record %d: %w", ErrInvalidRecord, i+1, err)
		}
		c, err := rule.choose(v)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		standings.note(v, c.codes)
		nonParty = append(nonParty, c.nonParty...)
		for _, p := range c.unpinned {
			unpinned[p]++
		}
		key := strings.Join(c.codes, ",")
		g, ok := index[key]
		if !ok {
			g, index[key] = len(groups), len(groups)
			groups = append(groups, audienceGroup{codes: c.codes})
		}
		groups[g].items = append(groups[g].items, it)
	}
	slices.Sort(nonParty)
	return groups, slices.Compact(nonParty), append(unpinnedCounts(unpinned), standings.warnings()...), nil
}

// unpinnedCounts is the import's warning about parties no pinned partner
// stands for, with the records of each.
func unpinnedCounts(unpinned map[string]int) []string {
	if len(unpinned) == 0 {
		return nil
	}
	var parts []string
	total := 0
	for _, p := range slices.Sorted(maps.Keys(unpinned)) {
		parts = append(parts, fmt.Sprintf("%s (%d)", p, unpinned[p]))
		total += unpinned[p]
	}
	return unpinnedWarnings([]string{strings.Join(parts, ", ")}, total)
}
