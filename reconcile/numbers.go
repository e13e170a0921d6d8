package reconcile

import (
	"encoding/binary"
	"slices"
)

// A held finding keeps its Numbers packed in one string instead of a map
// of decimal strings: 100,000 imported certificates raise some 46,000
// unit-value findings of 8 to 12 figures each, and their maps came to
// 34 MB of the State's live heap (BenchmarkStateMemory). The packing is a
// count, then each key, as its number in the State's numberKeys, and its
// value, preceded by its length, in key order; every number is a uvarint,
// so that any bytes survive it. nil packs to "" and an empty map to a
// count of 0, so that unpacking gives back what was packed. Two maps are
// equal exactly when their packings are.

// numberKeys numbers the keys of findings' Numbers. The keys are names
// the rules write ("carats_diff_pct"), never taken from a record, so the
// table stays as small as the rules' vocabulary.
type numberKeys struct {
	index map[string]uint64
	names []string
}

// pack returns n packed.
func (t *numberKeys) pack(n map[string]string) string {
	if n == nil {
		return ""
	}
	keys := make([]string, 0, len(n))
	size := binary.MaxVarintLen64
	for k, v := range n {
		keys = append(keys, k)
		size += len(v) + 2*binary.MaxVarintLen64
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(n)))
	for _, k := range keys {
		b = appendPart(binary.AppendUvarint(b, t.number(k)), n[k])
	}
	return string(b)
}

// number returns the number of key k, numbering it if it is new.
func (t *numberKeys) number(k string) uint64 {
	i, ok := t.index[k]
	if !ok {
		if t.index == nil {
			t.index = map[string]uint64{}
		}
		i = uint64(len(t.names))
		t.index[k] = i
		t.names = append(t.names, k)
	}
	return i
}

func appendPart(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// unpack returns the map pack packed into p.
func (t *numberKeys) unpack(p string) map[string]string {
	if p == "" {
		return nil
	}
	count, rest := nextUvarint(p)
	n := make(map[string]string, count)
	for range count {
		var k uint64
		var v string
		k, rest = nextUvarint(rest)
		v, rest = nextPart(rest)
		n[t.names[k]] = v
	}
	return n
}

// nextUvarint reads a uvarint at the start of p, which packNumbers wrote.
func nextUvarint(p string) (uint64, string) {
	var x uint64
	for shift := 0; ; shift += 7 {
		c := p[0]
		p = p[1:]
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x, p
		}
	}
}

func nextPart(p string) (part, rest string) {
	n, p := nextUvarint(p)
	return p[:n], p[n:]
}
