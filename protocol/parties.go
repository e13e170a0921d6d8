package protocol

import (
	"slices"
)

// Records go only to the authorities party to them unless the operator
// says otherwise (docs/records.md, "Who reads a record"). Parties names
// them for each type; SameParticipant widens a code to the authorities
// that are one Participant with it.

// Parties returns the participants that parsed record v (as
// [ParseRecord] returns it) concerns besides its author, sorted and
// without repeats: a certificate's destination, a pre-notification's
// importing country, an import confirmation's exporting authority
// (issuer), trade statistics' partner, the feed of the notice an
// acknowledgement acknowledges or of the query an answer answers, and
// for a batch the parties of all its items. ok is false for types whose
// readers only the operator can name: production statistics (a
// Participant's own figures, for whom it chooses), notices, anomaly
// queries and withdrawals. A pre-notification whose importing country is
// not a participant code has no party it can name (ok true, codes
// empty).
func Parties(v any) (codes []string, ok bool) {
	switch r := v.(type) {
	case *Certificate:
		return []string{r.Destination}, true
	case *PreNotification:
		if _, known := LookupParticipant(r.Importer.Country); known {
			return []string{r.Importer.Country}, true
		}
		return nil, true
	case *ImportConfirmation:
		return []string{r.Issuer}, true
	case *TradeStatistics:
		return []string{r.Partner}, true
	case *Acknowledgement:
		return []string{r.Of.Feed}, true
	case *AnomalyAnswer:
		return []string{r.Query.Feed}, true
	case *Batch:
		return batchParties(r)
	}
	return nil, false
}

func batchParties(b *Batch) ([]string, bool) {
	var all []string
	for _, item := range b.Records {
		codes, ok := Parties(item)
		if !ok {
			return nil, false
		}
		all = append(all, codes...)
	}
	slices.Sort(all)
	return slices.Compact(all), true
}

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
