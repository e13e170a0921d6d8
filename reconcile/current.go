package reconcile

import (
	"cmp"

	"github.com/kpnode/kpnode/protocol"
)

// Which records are current (docs/records.md §11) is decided here, for
// reconciliation and for every figure the node reports.
//
// Records of one type in one feed form chains. A record that supersedes
// nothing starts a chain. A record whose "supersedes" names an earlier
// entry (a lower seq) of its own feed, at an item that holds a record of
// the same type that is itself in a chain, joins that record's chain; a
// withdrawal joins the chain of the record (not a withdrawal) it names
// the same way. The entry latest in the feed decides: a record is its
// chain's one current record, a withdrawal leaves the chain without one.
// So a record corrected twice counts as its later correction, a
// correction of a correction replaces both, and a record that names
// nothing valid (a later or equal seq, a missing record, another type, a
// record itself in no chain) belongs to no chain and counts nowhere.
// The decision depends on the records held, never on the order in which
// they arrived.

// Pos is the position of a record: its feed, the seq of its entry and
// its item in a batch entry (0 otherwise). Feed is any string that names
// one feed: a participant code, or a feed key.
type Pos struct {
	Feed string
	Seq  uint64
	Item int
}

func (p Pos) compare(q Pos) int {
	return cmp.Or(cmp.Compare(p.Feed, q.Feed), cmp.Compare(p.Seq, q.Seq), cmp.Compare(p.Item, q.Item))
}

// Chains decides which of the records put into it are current. V is
// what its owner keeps with each record. A Chains is not safe for
// concurrent use.
type Chains[V any] struct {
	at       positions[link[V]]
	named    map[Pos][]*link[V] // by the position a supersedes names: every record naming it
	live     int
	onChange func(v V, current bool)
}

// link is one record in a Chains.
type link[V any] struct {
	pos  Pos
	typ  string
	sup  *Pos     // the position it supersedes, nil for none
	root *link[V] // first record of its chain; nil while it is in none
	rest *rest[V] // on a root: the other members, once there are any
	cur  bool     // whether it is its chain's current record
	val  V
}

// rest holds the corrections and withdrawals that joined a chain.
type rest[V any] struct{ recs, withdrawals []*link[V] }

// NewChains returns an empty Chains. onChange, if not nil, is called
// whenever a record becomes current (true) or stops being current.
func NewChains[V any](onChange func(v V, current bool)) *Chains[V] {
	return &Chains[V]{named: map[Pos][]*link[V]{}, onChange: onChange}
}

// Put holds the record of type typ at p, replacing any record there. sup
// is what it supersedes (nil for none); typ is protocol.WithdrawalType
// for a withdrawal, whose sup must not be nil.
func (c *Chains[V]) Put(p Pos, typ string, sup *protocol.Supersedes, v V) {
	l := &link[V]{pos: p, typ: typ, val: v}
	if sup != nil {
		l.sup = &Pos{p.Feed, sup.Seq, sup.Item}
	}
	c.replace(p, l)
}

// Delete removes the record at p, if any.
func (c *Chains[V]) Delete(p Pos) { c.replace(p, nil) }

// Get returns the value of the record at p.
func (c *Chains[V]) Get(p Pos) (V, bool) {
	l := c.at.get(p)
	if l == nil {
		var zero V
		return zero, false
	}
	return l.val, true
}

// Len returns the number of current records.
func (c *Chains[V]) Len() int { return c.live }

// InChain reports whether the record at p belongs to a chain.
func (c *Chains[V]) InChain(p Pos) bool {
	l := c.at.get(p)
	return l != nil && l.root != nil
}

// Current returns the position and value of the current record of the
// chain of the record at p; false when p holds no record in a chain or
// its chain was withdrawn last.
func (c *Chains[V]) Current(p Pos) (Pos, V, bool) {
	var zero V
	l := c.at.get(p)
	if l == nil || l.root == nil {
		return Pos{}, zero, false
	}
	if cur := currentOf(l.root); cur != nil {
		return cur.pos, cur.val, true
	}
	return Pos{}, zero, false
}

// Root returns the value of the first record of the chain of the record
// at p, the record every correction in it descends from; false when p
// holds no record in a chain.
func (c *Chains[V]) Root(p Pos) (V, bool) {
	l := c.at.get(p)
	if l == nil || l.root == nil {
		var zero V
		return zero, false
	}
	return l.root.val, true
}

// Withdrawal returns the position of the withdrawal that ended the chain
// of the record at p; false when the chain has a current record.
func (c *Chains[V]) Withdrawal(p Pos) (Pos, bool) {
	l := c.at.get(p)
	if l == nil || l.root == nil || currentOf(l.root) != nil {
		return Pos{}, false
	}
	return latestOf(l.root.rest.withdrawals).pos, true
}

// Each calls fn for every current record, in no particular order.
func (c *Chains[V]) Each(fn func(Pos, V)) {
	c.at.each(func(l *link[V]) {
		if l.cur {
			fn(l.pos, l.val)
		}
	})
}

// replace puts l (nil: nothing) at p, and updates the chains it leaves
// and joins.
func (c *Chains[V]) replace(p Pos, l *link[V]) {
	old := c.at.get(p)
	roots := make([]*link[V], 0, 3)
	if old != nil && old.root != nil {
		roots = append(roots, old.root)
	}
	if l != nil {
		if t := c.targetOf(l); t != nil {
			roots = append(roots, t.root)
		}
	}
	if old != nil {
		c.detach(old)
		c.unname(old)
		c.at.del(p)
	}
	if l != nil {
		c.at.set(p, l)
		if l.sup != nil {
			c.named[*l.sup] = append(c.named[*l.sup], l)
		}
		c.attach(l)
		roots = append(roots, l.root)
	}
	for _, r := range roots {
		if r != nil && r.root == r {
			c.settle(r)
		}
	}
}

// targetOf returns the record in a chain that l's supersedes validly
// names, or nil.
func (c *Chains[V]) targetOf(l *link[V]) *link[V] {
	if l.sup == nil || l.sup.Seq >= l.pos.Seq {
		return nil
	}
	t := c.at.get(*l.sup)
	switch {
	case t == nil || t.root == nil:
		return nil
	case l.typ == protocol.WithdrawalType && t.typ != protocol.WithdrawalType:
		return t
	case t.typ == l.typ && l.typ != protocol.WithdrawalType:
		return t
	}
	return nil
}

// attach puts l in a chain, if it can join one, and then the records
// that name it.
func (c *Chains[V]) attach(l *link[V]) {
	switch {
	case l.sup == nil && l.typ != protocol.WithdrawalType:
		l.root = l
	case c.targetOf(l) != nil:
		r := c.targetOf(l).root
		l.root = r
		if r.rest == nil {
			r.rest = &rest[V]{}
		}
		if l.typ == protocol.WithdrawalType {
			r.rest.withdrawals = append(r.rest.withdrawals, l)
		} else {
			r.rest.recs = append(r.rest.recs, l)
		}
	default:
		return
	}
	if len(c.named) == 0 {
		return
	}
	for _, n := range c.named[l.pos] {
		if n.root == nil && c.at.get(n.pos) == n {
			c.attach(n)
		}
	}
}

// detach takes l and the records that name it out of their chain; l's
// chain, if l is its root, is left with no record.
func (c *Chains[V]) detach(l *link[V]) {
	r := l.root
	if r == nil {
		return
	}
	for _, n := range c.named[l.pos] {
		if n.root != nil {
			c.detach(n)
		}
	}
	l.root = nil
	if l.cur {
		c.setCurrent(l, false)
	}
	if r != l && r.rest != nil {
		r.rest.recs = remove(r.rest.recs, l)
		r.rest.withdrawals = remove(r.rest.withdrawals, l)
	}
	if r == l {
		l.rest = nil
	}
}

// unname forgets that l names its supersedes target.
func (c *Chains[V]) unname(l *link[V]) {
	if l.sup == nil {
		return
	}
	if ns := remove(c.named[*l.sup], l); len(ns) > 0 {
		c.named[*l.sup] = ns
	} else {
		delete(c.named, *l.sup)
	}
}

// settle makes the chain of root r show its current record.
func (c *Chains[V]) settle(r *link[V]) {
	if r.rest == nil { // the common case: a record nothing supersedes
		if !r.cur {
			c.setCurrent(r, true)
		}
		return
	}
	cur := currentOf(r)
	for _, m := range members(r) {
		if m.cur != (m == cur) {
			c.setCurrent(m, m == cur)
		}
	}
}

func (c *Chains[V]) setCurrent(l *link[V], cur bool) {
	l.cur = cur
	if cur {
		c.live++
	} else {
		c.live--
	}
	if c.onChange != nil {
		c.onChange(l.val, cur)
	}
}

// members returns the records (not withdrawals) of root r's chain.
func members[V any](r *link[V]) []*link[V] {
	if r.rest == nil {
		return []*link[V]{r}
	}
	return append([]*link[V]{r}, r.rest.recs...)
}

// currentOf returns the current record of root r's chain, or nil.
func currentOf[V any](r *link[V]) *link[V] {
	if r.rest == nil {
		return r
	}
	cur := r
	if l := latestOf(r.rest.recs); l != nil && l.pos.compare(r.pos) > 0 {
		cur = l
	}
	if w := latestOf(r.rest.withdrawals); w != nil && w.pos.compare(cur.pos) > 0 {
		return nil
	}
	return cur
}

// latestOf returns the link latest in its feed, or nil.
func latestOf[V any](ls []*link[V]) *link[V] {
	var out *link[V]
	for _, l := range ls {
		if out == nil || l.pos.compare(out.pos) > 0 {
			out = l
		}
	}
	return out
}

func remove[V any](ls []*link[V], l *link[V]) []*link[V] {
	for i, x := range ls {
		if x == l {
			return append(ls[:i], ls[i+1:]...)
		}
	}
	return ls
}
