package reconcile

import (
	"encoding/binary"
	"slices"
)

// A held finding keeps its Numbers packed in one string instead of a map
// of decimal strings: 100,000 imported certificates raise some 46,000
// unit-value findings of 8 to 12 figures each, and their maps came to
// 34 MB of the State's live heap (BenchmarkStateMemory). The packing is a
// count, then each key and value in key order, every part preceded by its
// length as a uvarint, so that any bytes survive it; nil packs to "" and
// an empty map to a count of 0, so that unpacking gives back what was
// packed. Two maps are equal exactly when their packings are.

// packNumbers returns n packed.
func packNumbers(n map[string]string) string {
	if n == nil {
		return ""
	}
	keys := make([]string, 0, len(n))
	size := binary.MaxVarintLen64
	for k, v := range n {
		keys = append(keys, k)
		size += len(k) + len(v) + 2*binary.MaxVarintLen64
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(n)))
	for _, k := range keys {
		b = appendPart(appendPart(b, k), n[k])
	}
	return string(b)
}

func appendPart(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// unpackNumbers returns the map packNumbers packed into p.
func unpackNumbers(p string) map[string]string {
	if p == "" {
		return nil
	}
	count, rest := nextUvarint(p)
	n := make(map[string]string, count)
	for range count {
		var k, v string
		k, rest = nextPart(rest)
		v, rest = nextPart(rest)
		n[k] = v
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
