package protocol

import "fmt"

// A record speaks only for its author. Each type that names its author
// names it in one field, and that participant must be the one whose feed
// carries the record, or one the feed's participant acts for: the EU acts
// through the Union authorities of its member states, so the EU and those
// member states may write in each other's name. docs/records.md,
// "Who writes a record", lists the field of every type.

// AuthorClaim is the participant a record names as its author and the
// field (JSON path) that names it.
type AuthorClaim struct {
	Field string // "issuer", "reporter", "fraudulent_certificate.detected_by"
	Code  string // the participant code in that field
}

// ClaimedAuthor returns the author that parsed record v (a *Certificate,
// *TradeStatistics, …, as [ParseRecord] returns) names. ok is false for
// types whose author is only their feed and for batches, whose items
// [CheckAuthor] checks one by one. An import confirmation's author is its
// feed, the importing authority: its issuer is the exporter's and its
// importer a trader, and a confirmation from an authority other than the
// certificate's destination is reconcile's R1 and R4 (a confirmation by
// the wrong authority, an import into two participants), not a forgery of
// a name. Acknowledgements, anomaly queries and answers, withdrawals and
// notices other than a fraudulent certificate name no author either.
func ClaimedAuthor(v any) (c AuthorClaim, ok bool) {
	r, isRecord := v.(Record)
	if !isRecord {
		return AuthorClaim{}, false
	}
	return r.Author()
}

// MayAuthor reports whether the node of participant feed may write a
// record in claimed's name: the same participant, or the EU and one of
// its member-state authorities either way round. Two member states may
// not write for each other.
func MayAuthor(feed, claimed string) bool {
	return feed == claimed || feed == "EU" && isEUMemberState(claimed) || claimed == "EU" && isEUMemberState(feed)
}

func isEUMemberState(code string) bool {
	p, ok := LookupParticipant(code)
	return ok && p.Kind == KindEUMemberState
}

// CheckAuthor returns an error wrapping [ErrForeignAuthor] when parsed
// record v, or an item of batch v, names an author that feed may not write
// for. The error names the item (in a batch), the field, the claimed
// author and feed.
func CheckAuthor(feed string, v any) error {
	if b, ok := v.(*Batch); ok {
		for i, item := range b.Records {
			if err := CheckAuthor(feed, item); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err) // items count from 1 for people
			}
		}
		return nil
	}
	c, ok := ClaimedAuthor(v)
	if !ok || MayAuthor(feed, c.Code) {
		return nil
	}
	return &AuthorError{Feed: feed, Claim: c}
}

// AuthorError is a record whose author field names a participant its
// feed's participant may not write for. It wraps [ErrForeignAuthor].
type AuthorError struct {
	Feed  string // the participant whose feed carries (or would carry) the record
	Claim AuthorClaim
}

// Error says which field names whom, and whose feed it is.
func (e *AuthorError) Error() string {
	return fmt.Sprintf("field %q names %s, but the record is %s's: %s", e.Claim.Field, e.Claim.Code, e.Feed, ErrForeignAuthor)
}

// Unwrap returns [ErrForeignAuthor].
func (e *AuthorError) Unwrap() error { return ErrForeignAuthor }
