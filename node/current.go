package node

import (
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// Which held records are current (docs/records.md §11) is decided by
// reconcile.Chains, the one rule that reconciliation also uses: records
// of one type in one feed form chains, a correction joins the chain of
// the earlier record of its type it names, the latest entry decides, a
// withdrawal leaves no current record, a record that names nothing valid
// counts nowhere. Every count, sum and export of the node uses only
// current records.

// recPos is the position of a record: its feed's key, seq and batch item.
type recPos struct {
	key  crypto.PublicKey
	seq  uint64
	item int
}

func posOf(h HeldRecord) recPos { return recPos{h.key, h.Seq, h.Item} }

// chainPos is the position of a record in reconcile.Chains: feeds are
// told apart by key, as after a rotation one code has two.
func (p recPos) chainPos() reconcile.Pos {
	return reconcile.Pos{Feed: string(p.key[:]), Seq: p.seq, Item: p.item}
}

// lineages resolves the corrections and withdrawals of records of one
// type: recs, and in chains each record's index in recs (-1 for the
// withdrawals).
type lineages struct {
	recs   []HeldRecord
	chains *reconcile.Chains[int]
}

// resolveLineages resolves recs, records of one type, and the
// withdrawals held, in any order.
func resolveLineages(recs, withdrawals []HeldRecord) *lineages {
	l := &lineages{recs: recs, chains: reconcile.NewChains[int](nil)}
	for i, h := range recs {
		l.chains.Put(posOf(h).chainPos(), h.Type, h.Value.Replaces(), i)
	}
	for _, w := range withdrawals {
		l.chains.Put(posOf(w).chainPos(), protocol.WithdrawalType, w.Value.Replaces(), -1)
	}
	return l
}

// at returns the record at p that belongs to a chain.
func (l *lineages) at(p recPos) (int, bool) {
	i, ok := l.chains.Get(p.chainPos())
	if !ok || i < 0 || !l.chains.InChain(p.chainPos()) {
		return 0, false
	}
	return i, true
}

// applies reports whether record i belongs to a chain.
func (l *lineages) applies(i int) bool { return l.chains.InChain(posOf(l.recs[i]).chainPos()) }

// current returns the current record of record i's chain; false when
// the chain was withdrawn last, or i belongs to none.
func (l *lineages) current(i int) (int, bool) {
	_, c, ok := l.chains.Current(posOf(l.recs[i]).chainPos())
	return c, ok
}

// isCurrent reports whether record i is the current record of its chain.
func (l *lineages) isCurrent(i int) bool {
	c, ok := l.current(i)
	return ok && c == i
}

// withdrawal returns the withdrawal that ended record i's chain.
func (l *lineages) withdrawal(i int) (recPos, bool) {
	w, ok := l.chains.Withdrawal(posOf(l.recs[i]).chainPos())
	return recPos{l.recs[i].key, w.Seq, w.Item}, ok
}

// currentRecords returns the current records of l, in feed order.
func (l *lineages) currentRecords() []HeldRecord {
	out := make([]HeldRecord, 0, l.chains.Len())
	for i, h := range l.recs {
		if l.isCurrent(i) {
			out = append(out, h)
		}
	}
	return out
}

// currentRecords returns the current records of type typ this node holds
// (author nil: every feed's; else that feed's), in feed order.
func (n *Node) currentRecords(typ string, author *crypto.PublicKey) ([]HeldRecord, error) {
	l, err := n.lineagesOf(typ, author)
	if err != nil {
		return nil, err
	}
	return l.currentRecords(), nil
}

// lineagesOf resolves the held records of type typ (author nil: every
// feed's; else that feed's).
func (n *Node) lineagesOf(typ string, author *crypto.PublicKey) (*lineages, error) {
	recs, err := n.heldRecordsOf(typ, author)
	if err != nil {
		return nil, err
	}
	ws, err := n.heldRecordsOf(protocol.WithdrawalType, author)
	if err != nil {
		return nil, err
	}
	return resolveLineages(recs, ws), nil
}
