package reconcile

// positions finds live records by position (feed, seq, item) for
// corrections and withdrawals. Feeds are numbered 1, 2, 3 …, so item 0 of
// each entry sits in a slice indexed by sequence number; a position far
// beyond the end (a gap the node would not deliver) goes to a map instead,
// and so do the further items of batch entries.
type positions struct {
	feeds map[string]*feedIndex
	n     int // live records
}

type feedIndex struct {
	dense  []*rec            // item 0 of entries 0, 1, 2 …
	sparse map[uint64]*rec   // item 0 of entries far beyond the dense part
	items  map[uint64][]*rec // items 1 … of batch entries
}

// maxSeqGap bounds how far past the dense part a seq may be and still
// extend it.
const maxSeqGap = 1 << 16

func (p *positions) feed(name string, create bool) *feedIndex {
	f := p.feeds[name]
	if f == nil && create {
		if p.feeds == nil {
			p.feeds = map[string]*feedIndex{}
		}
		f = &feedIndex{}
		p.feeds[name] = f
	}
	return f
}

func (p *positions) get(id recID) *rec {
	f := p.feed(id.feed, false)
	switch {
	case f == nil:
		return nil
	case id.item > 0:
		if items := f.items[id.seq]; id.item-1 < len(items) {
			return items[id.item-1]
		}
		return nil
	case id.seq < uint64(len(f.dense)):
		return f.dense[id.seq]
	}
	return f.sparse[id.seq]
}

// set puts r at its position, which must be free.
func (p *positions) set(r *rec) {
	f, id := p.feed(r.id.feed, true), r.id
	p.n++
	switch {
	case id.item > 0:
		if f.items == nil {
			f.items = map[uint64][]*rec{}
		}
		items := f.items[id.seq]
		for len(items) < id.item {
			items = append(items, nil)
		}
		items[id.item-1] = r
		f.items[id.seq] = items
	case id.seq < uint64(len(f.dense))+maxSeqGap:
		if n := int(id.seq) + 1; n > len(f.dense) {
			f.dense = append(f.dense, make([]*rec, n-len(f.dense))...)
		}
		f.dense[id.seq] = r
	default:
		if f.sparse == nil {
			f.sparse = map[uint64]*rec{}
		}
		f.sparse[id.seq] = r
	}
}

func (p *positions) del(id recID) {
	f := p.feed(id.feed, false)
	if f == nil || p.get(id) == nil {
		return
	}
	p.n--
	switch {
	case id.item > 0:
		f.items[id.seq][id.item-1] = nil
	case id.seq < uint64(len(f.dense)):
		f.dense[id.seq] = nil
	default:
		delete(f.sparse, id.seq)
	}
}

// each calls fn for every live record, in no particular order.
func (p *positions) each(fn func(*rec)) {
	visit := func(r *rec) {
		if r != nil {
			fn(r)
		}
	}
	for _, f := range p.feeds {
		for _, r := range f.dense {
			visit(r)
		}
		for _, r := range f.sparse {
			visit(r)
		}
		for _, items := range f.items {
			for _, r := range items {
				visit(r)
			}
		}
	}
}
