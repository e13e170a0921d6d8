package reconcile

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// A held finding keeps no text, records or figures: they are described
// again when the finding is read (see [State.finding]), and the State
// keeps only a digest of them, so that a commit can tell a finding that
// changed from one evaluated again unchanged. 100,000 imported
// certificates raise some 146,000 findings, whose explanations, records
// and packed figures came to 41 MB of the State's live heap
// (BenchmarkStateMemory).
//
// The digest is 128 bits of maphash, under two seeds the State draws at
// random, of an encoding of the finding in which every field is preceded
// by its length or marked present, so that two findings encode equal
// exactly when they are the same field for field: nil and empty Records
// and Numbers told apart, Since's instant and zone. A collision would
// hide a change from Add's report, never from a read; with random seeds
// no input can aim at one.

// digest is what a held finding keeps of its content.
type digest [2]uint64

// digester computes digests with its own scratch buffers.
type digester struct {
	seeds [2]maphash.Seed
	buf   []byte
	keys  []string
}

func newDigester() digester {
	return digester{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// of returns the digest of f's content: everything but its ID.
func (d *digester) of(f *Finding) digest {
	b := appendPart(d.buf[:0], f.Rule)
	b = appendPart(appendPart(appendPart(b, f.RuleName), string(f.Severity)), f.Partner)
	b = appendPart(b, f.Explanation)
	b = appendTime(b, f)
	b = appendPresent(b, f.Records == nil)
	b = binary.AppendUvarint(b, uint64(len(f.Records)))
	for _, r := range f.Records {
		b = binary.AppendUvarint(appendPart(b, r.Feed), r.Seq)
		b = binary.AppendVarint(b, int64(r.Item))
		b = appendPart(appendPart(appendPresent(b, !r.Batch), r.Type), r.Key)
	}
	b = d.appendNumbers(b, f.Numbers)
	d.buf = b
	return digest{maphash.Bytes(d.seeds[0], b), maphash.Bytes(d.seeds[1], b)}
}

func (d *digester) appendNumbers(b []byte, n map[string]string) []byte {
	b = binary.AppendUvarint(appendPresent(b, n == nil), uint64(len(n)))
	d.keys = d.keys[:0]
	for k := range n {
		d.keys = append(d.keys, k)
	}
	slices.Sort(d.keys)
	for _, k := range d.keys {
		b = appendPart(appendPart(b, k), n[k])
	}
	clear(d.keys)
	return b
}

// appendTime appends f.Since: the instant and the zone's offset and name.
func appendTime(b []byte, f *Finding) []byte {
	name, offset := f.Since.Zone()
	b = binary.AppendVarint(b, f.Since.Unix())
	b = binary.AppendUvarint(b, uint64(f.Since.Nanosecond()))
	return appendPart(binary.AppendVarint(b, int64(offset)), name)
}

func appendPresent(b []byte, absent bool) []byte {
	if absent {
		return append(b, 0)
	}
	return append(b, 1)
}

func appendPart(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}
