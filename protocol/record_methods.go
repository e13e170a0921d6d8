package protocol

// Record is a parsed record body, as [ParseRecord] returns it. Every
// record type of this package implements it, and registering a type
// requires it, so that a new type answers what the node and
// reconciliation ask of every record in one place, its own file, and
// nobody switches over the types.
type Record interface {
	// TypeName returns the registered record type name: "certificate".
	TypeName() string
	// Noun names the type for people: "import confirmation".
	Noun() string
	// Replaces returns the earlier record of the same author this one
	// replaces: the record a correction corrects, the record a
	// withdrawal withdraws; nil when it replaces none. The caller must
	// not modify it.
	Replaces() *Supersedes
	// Parties returns the participants the record concerns besides its
	// author, as [Parties] does.
	Parties() (codes []string, ok bool)
	// Author returns the participant the record names as its author and
	// the field that names it, as [ClaimedAuthor] does.
	Author() (c AuthorClaim, ok bool)
	// ForEveryPartner reports whether, when only the operator can name
	// its readers (Parties false) and the operator names none, every
	// partner reads it: production statistics and notices, which the
	// whole KP reads.
	ForEveryPartner() bool
	// Filed returns the date the record is filed under (a certificate's
	// issue date, a statistics row's period start), zero for types filed
	// under none.
	Filed() Date
	// Concerns returns the participants the record names, its author
	// among them (a certificate's issuer and destination), for selecting
	// records by participant; nil for types that name none.
	Concerns() []string
}

// Parties returns the participants that parsed record v (as
// [ParseRecord] returns it) concerns besides its author, sorted and
// without repeats: a certificate's destination, a pre-notification's
// importing country, an import confirmation's exporting authority
// (issuer), trade statistics' partner, the feed of the notice an
// acknowledgement acknowledges or of the query an answer answers, and
// for a batch the parties of all its items. ok is false for types whose
// readers only the operator can name: production statistics (a
// Participant's own figures, for whom it chooses), notices, anomaly
// queries, withdrawals and key hand-overs, and for a value that is not a
// [Record]. A pre-notification whose importing country is not a
// participant code has no party it can name (ok true, codes empty).
func Parties(v any) (codes []string, ok bool) {
	r, isRecord := v.(Record)
	if !isRecord {
		return nil, false
	}
	return r.Parties()
}

// operatorNamed is the Parties answer of the types whose readers only the
// operator can name.
func operatorNamed() ([]string, bool) { return nil, false }
