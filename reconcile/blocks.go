package reconcile

// blocks hands out values of T allocated many at a time, for what the
// State holds one of per record (records, slots, certificates): one
// allocation per block instead of one per value, and values that stay
// together on the heap instead of scattered among the garbage of the
// import that made them. A block is freed when none of its values is
// referenced any more; a value the State lets go (a dropped slot) is not
// reused, so that no stale pointer can see it change. Blocks grow from 16
// values to maxBlock, so that a small State stays small.
type blocks[T any] struct {
	free []T // the rest of the current block
	size int // the size of the next block
}

const maxBlock = 1024

// next returns a pointer to a zero T.
func (b *blocks[T]) next() *T {
	if len(b.free) == 0 {
		b.size = min(max(2*b.size, 16), maxBlock)
		b.free = make([]T, b.size)
	}
	p := &b.free[0]
	b.free = b.free[1:]
	return p
}
