package reconcile

import (
	"strconv"

	"github.com/kpnode/kpnode/protocol"
)

// R13: a record speaks only for its author. A record whose author field
// (a certificate's issuer, statistics' reporter, …; see
// [protocol.ClaimedAuthor]) names a participant its feed's participant
// may not write for ([protocol.MayAuthor]) is held as evidence: it
// supersedes nothing, feeds no other rule and no figure, and raises one
// critical finding naming the feed, the claimed author and the record.
// The feed's author signed it, so the finding is about the feed's author,
// never about a partner that relayed it.

// foreignRec is a record held as evidence of writing in another's name.
type foreignRec struct {
	ref   RecordRef
	at    int64
	claim protocol.AuthorClaim
}

// foreignAuthor holds r as evidence and reports true when its body names
// an author its feed may not write for; the record at its position, if
// any, is taken out of the other rules.
func (s *State) foreignAuthor(id recID, r Record, body protocol.Record, kind uint8) bool {
	k := subjectKey{kind: subjAuthor, a: id.feed, b: strconv.FormatUint(id.seq, 10), year: id.item, hs: id.key} // hs: the feed
	c, ok := protocol.ClaimedAuthor(body)
	if !ok || protocol.MayAuthor(id.feed, c.Code) {
		if _, held := s.foreign[id]; held {
			delete(s.foreign, id) // replaced at the same position
			s.touch(k)
		}
		return false
	}
	s.chains.Delete(id.pos())
	ref := refOf(&rec{feed: &feedName{code: id.feed}, seq: id.seq, item: id.item, kind: kind, batch: r.Ref.Batch, body: body})
	s.foreign[id] = &foreignRec{ref: ref, at: unixNano(r.Time), claim: c}
	s.touch(k)
	return true
}

// checkAuthor yields the finding of the record of subject k, if it is
// held as evidence.
func (s *State) checkAuthor(k subjectKey) []Finding {
	seq, _ := strconv.ParseUint(k.b, 10, 64)
	fr := s.foreign[recID{k.a, k.hs, seq, k.year}]
	if fr == nil {
		return nil
	}
	f := newFinding(ruleAuthor, k.a+"/"+k.b+"/"+strconv.Itoa(k.year), k.a)
	f.Records = append(f.Records, fr.ref)
	f.Numbers["feed"] = k.a
	f.Numbers["claimed_author"] = fr.claim.Code
	f.Numbers["field"] = fr.claim.Field
	place := ""
	if l := fr.ref.ItemLabel(); l != "" {
		place = " " + l + " of"
	}
	f.Explanation = sprintf("%s's feed,%s entry %d, holds a %s whose %s is %s: %s cannot write in %s's name; the record is kept as evidence and counted nowhere",
		k.a, place, seq, fr.ref.Type, fr.claim.Field, fr.claim.Code, k.a, fr.claim.Code)
	if fr.at != 0 {
		f.Since = (&rec{at: fr.at}).when()
	}
	return []Finding{f}
}
