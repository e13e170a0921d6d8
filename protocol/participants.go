package protocol

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
)

// Participant kinds.
const (
	KindState                = "state"
	KindRegionalOrganisation = "regional_organisation"
	KindTradingEntity        = "trading_entity"
	// KindEUMemberState is an EU member state with a Union authority that
	// acts for the EU participant (DOMAIN.md: Antwerp, Prague,
	// Idar-Oberstein, Dublin, Torino, Lisbon, Bucharest). It is not itself a
	// KP participant, but its authority runs its own node under its own code.
	KindEUMemberState = "eu_member_state"
)

// euAuthorities are the member states of the seven Union authorities. They
// are not in participants.csv, which lists KP participants only.
var euAuthorities = []Participant{
	{"BE", "Belgium (EU authority, Antwerp)", KindEUMemberState},
	{"CZ", "Czechia (EU authority, Prague)", KindEUMemberState},
	{"DE", "Germany (EU authority, Idar-Oberstein)", KindEUMemberState},
	{"IE", "Ireland (EU authority, Dublin)", KindEUMemberState},
	{"IT", "Italy (EU authority, Torino)", KindEUMemberState},
	{"PT", "Portugal (EU authority, Lisbon)", KindEUMemberState},
	{"RO", "Romania (EU authority, Bucharest)", KindEUMemberState},
}

// Participant is one entry of the built-in participant list: a KP
// participant, the trading entity, or an EU member state with a Union
// authority.
type Participant struct {
	Code string `json:"code"` // ISO 3166-1 alpha-2, or "EU"
	Name string `json:"name"` // English short name
	Kind string `json:"kind"` // KindState, KindRegionalOrganisation, KindTradingEntity or KindEUMemberState
}

// participants.csv is the project's copy of shared/data/participants.csv:
// "code,name,kind" with a header line. It is reconstructed from public
// sources; an operator's roster of partners is the authority, not this list.
//
//go:embed participants.csv
var participantsCSV string

var participants, participantIndex = mustParseParticipants(participantsCSV, euAuthorities)

// LookupParticipant returns the entry for code, of any kind.
func LookupParticipant(code string) (Participant, bool) {
	i, ok := participantIndex[code]
	if !ok {
		return Participant{}, false
	}
	return participants[i], true
}

// Participants returns the built-in list sorted by code. The caller owns the
// returned slice.
func Participants() []Participant { return slices.Clone(participants) }

// ValidCode reports whether code can identify a node: a state participant,
// the regional organisation (EU) or an EU member state with a Union
// authority (BE for Antwerp). A trading entity (TW, Chinese Taipei) is in the
// list, so that statistics and notices can name it, but it is not a
// participant of the scheme and is not a valid node code.
func ValidCode(code string) bool {
	p, ok := LookupParticipant(code)
	return ok && p.Kind != KindTradingEntity
}

// iso3166.txt lists the ISO 3166-1 alpha-2 codes (Debian iso-codes), one
// a line after a comment line.
//
//go:embed iso3166.txt
var iso3166Text string

var iso3166 = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(iso3166Text, "\n") {
		if isCodeSyntax(line) {
			m[line] = true
		}
	}
	return m
}()

// IsCountryCode reports whether code is an assigned ISO 3166-1 alpha-2
// code.
func IsCountryCode(code string) bool { return iso3166[code] }

// AdmissibleCode reports whether code may name a participant in a record
// or a card: a code of the built-in list ([LookupParticipant]), or a
// country code the list does not have yet, which a participant-list
// update can admit without a release. Whether it was a participant on a
// record's date is the membership view's to say ([Membership.On]);
// reconciliation flags records naming a code that was not (rule R5).
// With nodeOnly the code must also be able to run a node: the trading
// entity cannot ([ValidCode]).
func AdmissibleCode(code string, nodeOnly bool) bool {
	p, ok := LookupParticipant(code)
	if !ok {
		return IsCountryCode(code)
	}
	return !nodeOnly || p.Kind != KindTradingEntity
}

// mustParseParticipants parses the embedded list; a bad list is a build
// defect, caught by the package's tests.
func mustParseParticipants(text string, extra []Participant) ([]Participant, map[string]int) {
	ps, err := parseParticipants(text, extra)
	if err != nil {
		panic("protocol: embedded participants.csv: " + err.Error())
	}
	index := make(map[string]int, len(ps))
	for i, p := range ps {
		index[p.Code] = i
	}
	return ps, index
}

// parseParticipants parses "code,name,kind" CSV, adds extra and sorts by
// code, rejecting duplicates.
func parseParticipants(text string, extra []Participant) ([]Participant, error) {
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "code,name,kind" {
		return nil, fmt.Errorf("want header code,name,kind")
	}
	ps := slices.Clone(extra)
	for _, r := range rows[1:] {
		p := Participant{Code: r[0], Name: r[1], Kind: r[2]}
		if err := p.check(); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b Participant) int { return strings.Compare(a.Code, b.Code) })
	for i := 1; i < len(ps); i++ {
		if ps[i].Code == ps[i-1].Code {
			return nil, fmt.Errorf("duplicate code %q", ps[i].Code)
		}
	}
	return ps, nil
}

func (p Participant) check() error {
	switch {
	case !isCodeSyntax(p.Code):
		return fmt.Errorf("bad code %q", p.Code)
	case p.Name == "":
		return fmt.Errorf("code %q: empty name", p.Code)
	case !slices.Contains([]string{KindState, KindRegionalOrganisation, KindTradingEntity, KindEUMemberState}, p.Kind):
		return fmt.Errorf("code %q: unknown kind %q", p.Code, p.Kind)
	}
	return nil
}
