package node

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// RecordProblem is why an import refuses one of its records on the
// grounds of what this node already holds.
type RecordProblem struct {
	Record   int    // index of the record in the request's items, from 0
	Field    string // JSON path of the member at fault, "" for the record as a whole
	Reason   string
	Conflict bool // held with other data (ErrImportConflict), else ErrInvalidRecord
}

// ImportProblems is returned by [Node.ImportRecords] when records of the
// file clash with what this node holds: a record held with other data, or
// a correction that names no record it may correct. Nothing was written.
// errors.Is matches [ErrImportConflict] when any record is a conflict and
// [ErrInvalidRecord] when any is invalid.
type ImportProblems struct {
	Problems []RecordProblem // in record order
}

// Error lists the problems as "record 3: supersedes.seq: reason".
func (e *ImportProblems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import: %d record(s) refused, nothing imported", len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "; record %d", p.Record+1)
		if p.Field != "" {
			b.WriteString(": " + p.Field)
		}
		b.WriteString(": " + p.Reason)
	}
	return b.String()
}

// Unwrap returns the sentinels of the problems.
func (e *ImportProblems) Unwrap() []error {
	var out []error
	for _, want := range []bool{true, false} {
		for _, p := range e.Problems {
			if p.Conflict == want {
				out = append(out, map[bool]error{true: ErrImportConflict, false: ErrInvalidRecord}[want])
				break
			}
		}
	}
	return out
}

// ownView is what an import checks its records against: this node's own
// records of the import's type, with their lineages (current.go).
type ownView struct {
	n       *Node
	typ     string
	lin     *lineages
	byKey   map[string][]int // natural key -> own records with it, every version
	current map[string]int   // natural key -> the own current record with it
	head    uint64
	targets map[recPos]int // records corrected by this import -> the correcting item
}

// newOwnView loads this node's own records of type typ.
func (n *Node) newOwnView(typ string) (*ownView, error) {
	self := n.id.Public()
	lin, err := n.lineagesOf(typ, &self)
	if err != nil {
		return nil, err
	}
	head, err := n.st.Head(self)
	if err != nil {
		return nil, fmt.Errorf("read own head: %w", err)
	}
	v := &ownView{n: n, typ: typ, lin: lin, byKey: map[string][]int{}, current: map[string]int{},
		head: head.Seq, targets: map[recPos]int{}}
	for i, h := range lin.recs {
		k := naturalKeyOf(h.Value)
		v.byKey[k] = append(v.byKey[k], i)
		if k != "" && lin.isCurrent(i) { // keyless records (notices) never conflict by key
			v.current[k] = i
		}
	}
	return v, nil
}

func naturalKeyOf(v any) string {
	if k, ok := v.(keyed); ok {
		return k.NaturalKey()
	}
	return ""
}

// check decides on record idx (value val, canonical body): fresh (to
// publish), already held (skip), or refused with a problem.
func (v *ownView) check(idx int, val protocol.Record, body []byte) (fresh bool, p *RecordProblem) {
	key := naturalKeyOf(val)
	if held, p := v.held(idx, key, body); held || p != nil {
		return false, p
	}
	sup := val.Replaces()
	if sup == nil {
		if c, ok := v.current[key]; ok {
			h := v.lin.recs[c]
			if sameButSupersedes(h.Value, val) {
				return false, nil // the current record, a correction: held
			}
			return false, &RecordProblem{Record: idx, Conflict: true, Reason: fmt.Sprintf(
				"%s: %s (%s); to correct it, give %s",
				ErrImportConflict, key, itemRef(h.Seq, h.Item), supersedesHint(h.Seq, h.Item))}
		}
		return true, nil
	}
	if p := v.checkTarget(idx, val, sup); p != nil {
		return false, p
	}
	return true, nil
}

// held reports whether an identical record is this node's current one; a
// problem when it is a version since corrected. A version withdrawn since
// may be published again.
func (v *ownView) held(idx int, key string, body []byte) (bool, *RecordProblem) {
	for _, i := range v.byKey[key] {
		if !jsonEqual(v.lin.recs[i].Body, body) {
			continue
		}
		c, ok := v.lin.current(i)
		switch {
		case ok && c == i, !v.lin.applies(i):
			return true, nil
		case ok:
			h, cur := v.lin.recs[i], v.lin.recs[c]
			return false, &RecordProblem{Record: idx, Conflict: true, Reason: fmt.Sprintf(
				"%s: the same as %s, which %s has since corrected: leave the row out, or correct the current record",
				ErrImportConflict, itemRef(h.Seq, h.Item), itemRef(cur.Seq, cur.Item))}
		}
	}
	return false, nil
}

// checkTarget checks a correction val: it must name a current record of
// this node's own feed, of the import's type, not corrected by another
// record of the same import, and change something in it; a correction
// that changes the natural key must not take one this node holds.
func (v *ownView) checkTarget(idx int, val any, sup *protocol.Supersedes) *RecordProblem {
	t, p := v.target(idx, sup)
	if p != nil {
		return p
	}
	if p := v.currentTarget(idx, t); p != nil {
		return p
	}
	if h := v.lin.recs[t]; sameButSupersedes(h.Value, val) {
		return &RecordProblem{Record: idx, Reason: fmt.Sprintf(
			"the correction is the same as %s, which it supersedes: nothing to correct (leave the row out, or change what is wrong)",
			itemRef(h.Seq, h.Item))}
	}
	key := naturalKeyOf(val)
	pos := posOf(v.lin.recs[t])
	if other, dup := v.targets[pos]; dup {
		return &RecordProblem{Record: idx, Field: "supersedes.seq", Reason: fmt.Sprintf(
			"%s is already corrected by record %d of this file: a record is corrected once per import", itemRef(sup.Seq, sup.Item), other+1)}
	}
	v.targets[pos] = idx
	if c, ok := v.current[key]; ok && c != t {
		h := v.lin.recs[c]
		return &RecordProblem{Record: idx, Conflict: true, Reason: fmt.Sprintf(
			"%s: the correction changes the key to %s, which this node holds (%s)", ErrImportConflict, key, itemRef(h.Seq, h.Item))}
	}
	return nil
}

// target returns the own record that sup names, or why there is none.
func (v *ownView) target(idx int, sup *protocol.Supersedes) (int, *RecordProblem) {
	t, ok := v.lin.at(recPos{v.n.id.Public(), sup.Seq, sup.Item})
	if ok {
		return t, nil
	}
	field, reason := "supersedes.seq", ""
	rec, err := v.n.st.Record(v.n.id.Public(), sup.Seq)
	typ := ""
	if err == nil {
		typ = rec.Type
		if typ == protocol.BatchType {
			typ, _, _ = protocol.BatchItems(rec.Body)
		}
	}
	switch {
	case sup.Seq > v.head:
		reason = fmt.Sprintf("names entry %d, but this node's feed ends at entry %d: a correction names a record already published (import the original first, then its correction)", sup.Seq, v.head)
	case err != nil:
		reason = fmt.Sprintf("entry %d of this node's feed holds no readable record", sup.Seq)
	case typ != v.typ:
		reason = fmt.Sprintf("entry %d of this node's feed holds %s records, not %s: a correction names a record of its own type and feed", sup.Seq, cmp.Or(typ, "unreadable"), v.typ)
	default:
		field, reason = "supersedes.item", fmt.Sprintf("entry %d of this node's feed holds no %s at item %d", sup.Seq, v.typ, sup.Item+1)
	}
	if sup.Seq > v.head || err == nil {
		reason += "; if the file is another node's export (records moving to a fresh node), its supersedes name that node's feed: import it with --as-originals (as_originals=true) to publish its records as originals"
	}
	return 0, &RecordProblem{Record: idx, Field: field, Reason: reason}
}

// currentTarget refuses a correction of a record already corrected or
// withdrawn.
func (v *ownView) currentTarget(idx int, t int) *RecordProblem {
	h := v.lin.recs[t]
	c, ok := v.lin.current(t)
	switch {
	case ok && c == t:
		return nil
	case ok:
		cur := v.lin.recs[c]
		return &RecordProblem{Record: idx, Field: "supersedes.seq", Reason: fmt.Sprintf(
			"%s was corrected by %s: correct the current record (%s)",
			itemRef(h.Seq, h.Item), itemRef(cur.Seq, cur.Item), supersedesHint(cur.Seq, cur.Item))}
	}
	w, _ := v.lin.withdrawal(t)
	return &RecordProblem{Record: idx, Field: "supersedes.seq", Reason: fmt.Sprintf(
		"%s was withdrawn by entry %d: publish the record again without supersedes", itemRef(h.Seq, h.Item), w.seq)}
}

// describe names the record (from 1) and field of a problem, for a
// publish's error.
func (p RecordProblem) describe() string {
	if p.Field == "" {
		return fmt.Sprintf("record %d: %s", p.Record+1, p.Reason)
	}
	return fmt.Sprintf("record %d: field %q: %s", p.Record+1, p.Field, p.Reason)
}

// sameButSupersedes reports whether two records of one type say the same
// but for what they supersede: a correction that changes nothing.
func sameButSupersedes(a, b any) bool {
	ma, okA := recordMembers(a)
	mb, okB := recordMembers(b)
	return okA && okB && reflect.DeepEqual(ma, mb)
}

// recordMembers returns a record's JSON members but "supersedes", numbers
// kept as written.
func recordMembers(v any) (map[string]any, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil {
		return nil, false
	}
	delete(m, "supersedes")
	return m, true
}

// errImportProblems returns the problems as an error, or nil.
func errImportProblems(ps []RecordProblem) error {
	if len(ps) == 0 {
		return nil
	}
	return &ImportProblems{Problems: ps}
}

// checkSupersedes refuses a record to publish whose "supersedes" does not
// name a current record of its type in this node's feed, or a withdrawal
// of no record of this node's (docs/records.md §11).
func (n *Node) checkSupersedes(p parsedRecord) error {
	if w, ok := p.top.(*protocol.Withdrawal); ok {
		return n.checkWithdrawal(w)
	}
	var view *ownView
	for i, v := range p.values {
		sup := v.Replaces()
		if sup == nil {
			continue
		}
		if view == nil {
			var err error
			if view, err = n.newOwnView(p.typ); err != nil {
				return err
			}
		}
		if pr := view.checkTarget(i, v, sup); pr != nil {
			return fmt.Errorf("%w: %s", ErrInvalidRecord, pr.describe())
		}
	}
	return nil
}

// checkWithdrawal refuses a withdrawal that names no record of this
// node's feed, or a withdrawal.
func (n *Node) checkWithdrawal(w *protocol.Withdrawal) error {
	s := w.Supersedes
	rec, err := n.st.Record(n.id.Public(), s.Seq)
	if err != nil {
		return fmt.Errorf("%w: field \"supersedes.seq\": entry %d of this node's feed holds no readable record", ErrInvalidRecord, s.Seq)
	}
	items := 1
	if rec.Type == protocol.BatchType {
		_, its, err := protocol.BatchItems(rec.Body)
		if err != nil {
			return fmt.Errorf("%w: field \"supersedes.seq\": entry %d is not a readable batch", ErrInvalidRecord, s.Seq)
		}
		items = len(its)
	}
	switch {
	case rec.Type == protocol.WithdrawalType || rec.Type == protocol.HandoverType:
		return fmt.Errorf("%w: field \"supersedes.seq\": entry %d is a %s, which cannot be withdrawn (to undo a withdrawal, publish the record again)", ErrInvalidRecord, s.Seq, rec.Type)
	case s.Item >= items:
		return fmt.Errorf("%w: field \"supersedes.item\": entry %d has %d item(s): supersedes.item counts from 0 as the wire does, 0..%d (items 1..%d counting from 1)",
			ErrInvalidRecord, s.Seq, items, items-1, items)
	}
	return nil
}

// itemRef names a record of this node's feed as a person reads it: items
// count from 1 (docs/records.md §16), a lone record being item 1.
func itemRef(seq uint64, item int) string {
	return fmt.Sprintf("entry %d item %d", seq, item+1)
}

// supersedesHint says how a file names the record at seq and item: the
// CSV columns count items from 1, the JSON member from 0 as on the wire.
func supersedesHint(seq uint64, item int) string {
	return fmt.Sprintf(`supersedes_seq %d and supersedes_item_no %d (in JSON: "supersedes": {"seq": %d, "item": %d})`, seq, item+1, seq, item)
}
