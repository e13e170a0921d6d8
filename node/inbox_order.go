package node

import (
	"cmp"
	"slices"
	"sort"
	"strings"
)

// inboxOrder keeps one list of the inbox sorted newest first, so that a
// page costs what it holds: the records are kept in chunks of at most
// 2×inboxChunk, and a page skips whole chunks to reach its offset. An
// insert or a delete moves at most one chunk's pointers.
type inboxOrder struct {
	chunks [][]*inboxRec
	n      int
}

// inboxChunk is the size a chunk is split back to: a page of 100,000
// records skips at most 200 chunks, an insert moves at most 1,024
// pointers.
const inboxChunk = 512

// newestFirstRec orders records as the inbox lists them: by entry time,
// newest first, then by feed and position; records of one code's two
// feeds (after a rotation) by key.
func newestFirstRec(a, b *inboxRec) int {
	return cmp.Or(b.time.Compare(a.time), cmp.Compare(a.feed, b.feed), cmp.Compare(b.seq, a.seq),
		cmp.Compare(a.item, b.item), strings.Compare(a.keyBytes(), b.keyBytes()))
}

// Len returns the number of records listed.
func (o *inboxOrder) Len() int { return o.n }

// chunkOf returns the index of the chunk where r is or belongs.
func (o *inboxOrder) chunkOf(r *inboxRec) int {
	i := sort.Search(len(o.chunks), func(i int) bool {
		c := o.chunks[i]
		return newestFirstRec(c[len(c)-1], r) >= 0
	})
	return min(i, len(o.chunks)-1)
}

// insert lists r, which is not listed.
func (o *inboxOrder) insert(r *inboxRec) {
	o.n++
	if len(o.chunks) == 0 {
		o.chunks = [][]*inboxRec{{r}}
		return
	}
	ci := o.chunkOf(r)
	c := o.chunks[ci]
	j, _ := slices.BinarySearchFunc(c, r, newestFirstRec)
	c = slices.Insert(c, j, r)
	if len(c) <= 2*inboxChunk {
		o.chunks[ci] = c
		return
	}
	tail := slices.Clone(c[inboxChunk:])
	clear(c[inboxChunk:])
	o.chunks[ci] = c[:inboxChunk]
	o.chunks = slices.Insert(o.chunks, ci+1, tail)
}

// delete takes r, which is listed, out of the list.
func (o *inboxOrder) delete(r *inboxRec) {
	if len(o.chunks) == 0 {
		return
	}
	ci := o.chunkOf(r)
	c := o.chunks[ci]
	j, found := slices.BinarySearchFunc(c, r, newestFirstRec)
	if !found {
		return
	}
	o.n--
	if c = slices.Delete(c, j, j+1); len(c) == 0 {
		o.chunks = slices.Delete(o.chunks, ci, ci+1)
		return
	}
	o.chunks[ci] = c
}

// page returns the records at off, off+1, … up to lim of them.
func (o *inboxOrder) page(off, lim int) []*inboxRec {
	out := make([]*inboxRec, 0, max(min(lim, o.n-off), 0))
	for _, c := range o.chunks {
		if len(out) == lim {
			break
		}
		if off >= len(c) {
			off -= len(c)
			continue
		}
		end := min(len(c), off+lim-len(out))
		out = append(out, c[off:end]...)
		off = 0
	}
	return out
}
