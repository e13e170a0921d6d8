package reconcile

// positions finds the records of a Chains by position (feed, seq, item).
// Feeds are numbered 1, 2, 3 …, so item 0 of
// each entry sits in a slice indexed by sequence number; a position far
// beyond the end (a gap the node would not deliver) goes to a map instead,
// and so do the further items of batch entries.
type positions[T any] struct {
	feeds map[string]*feedIndex[T]
}

type feedIndex[T any] struct {
	dense  []*T            // item 0 of entries 0, 1, 2 …
	sparse map[uint64]*T   // item 0 of entries far beyond the dense part
	items  map[uint64][]*T // items 1 … of batch entries
}

// maxSeqGap bounds how far past the dense part a seq may be and still
// extend it.
const maxSeqGap = 1 << 16

func (p *positions[T]) feed(name string, create bool) *feedIndex[T] {
	f := p.feeds[name]
	if f == nil && create {
		if p.feeds == nil {
			p.feeds = map[string]*feedIndex[T]{}
		}
		f = &feedIndex[T]{}
		p.feeds[name] = f
	}
	return f
}

func (p *positions[T]) get(id Pos) *T {
	f := p.feed(id.Feed, false)
	switch {
	case f == nil:
		return nil
	case id.Item > 0:
		if items := f.items[id.Seq]; id.Item-1 < len(items) {
			return items[id.Item-1]
		}
		return nil
	case id.Seq < uint64(len(f.dense)):
		return f.dense[id.Seq]
	}
	return f.sparse[id.Seq]
}

// set puts r at position id, which must be free.
func (p *positions[T]) set(id Pos, r *T) {
	f := p.feed(id.Feed, true)
	switch {
	case id.Item > 0:
		if f.items == nil {
			f.items = map[uint64][]*T{}
		}
		items := f.items[id.Seq]
		for len(items) < id.Item {
			items = append(items, nil)
		}
		items[id.Item-1] = r
		f.items[id.Seq] = items
	case id.Seq < uint64(len(f.dense))+maxSeqGap:
		if n := int(id.Seq) + 1; n > len(f.dense) {
			f.dense = append(f.dense, make([]*T, n-len(f.dense))...)
		}
		f.dense[id.Seq] = r
	default:
		if f.sparse == nil {
			f.sparse = map[uint64]*T{}
		}
		f.sparse[id.Seq] = r
	}
}

func (p *positions[T]) del(id Pos) {
	f := p.feed(id.Feed, false)
	if f == nil || p.get(id) == nil {
		return
	}
	switch {
	case id.Item > 0:
		f.items[id.Seq][id.Item-1] = nil
	case id.Seq < uint64(len(f.dense)):
		f.dense[id.Seq] = nil
	default:
		delete(f.sparse, id.Seq)
	}
}

// each calls fn for every record, in no particular order.
func (p *positions[T]) each(fn func(*T)) {
	visit := func(r *T) {
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
