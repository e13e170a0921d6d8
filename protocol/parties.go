package protocol

import (
	"slices"
)

// Records go only to the authorities party to them unless the operator
// says otherwise (docs/records.md, "Who reads a record"). Each type's
// [Record.Parties] names them; SameParticipant widens a code to the authorities
// that are one Participant with it.

// SameParticipant returns code and the authorities that are one
// Participant with it, sorted: the EU and each Union authority of a member
// state (BE, CZ, DE, IE, IT, PT, RO) are one, as [MayAuthor] has it; two
// member states are not one with each other. A record whose party is the
// EU may go to the EU's node and the Union authorities' nodes; one whose
// party is BE, to BE's node and the EU's.
func SameParticipant(code string) []string {
	switch {
	case code == "EU":
		out := []string{"EU"}
		for _, p := range Participants() {
			if p.Kind == KindEUMemberState {
				out = append(out, p.Code)
			}
		}
		slices.Sort(out)
		return out
	case isEUMemberState(code):
		return []string{code, "EU"}
	}
	return []string{code}
}
