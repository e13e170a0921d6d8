package protocol

import (
	"bytes"
	"errors"
	"testing"

	"github.com/kpnode/kpnode/crypto"
)

// chainOf returns n entries of id's feed from seq 1, each linked to the
// one before.
func chainOf(t testing.TB, id *crypto.Identity, n int) []*Entry {
	t.Helper()
	var out []*Entry
	var prev Hash
	for seq := 1; seq <= n; seq++ {
		d := testDraft()
		d.Seq, d.Prev = uint64(seq), prev
		e := mustEntry(t, id, d)
		out, prev = append(out, e), e.Hash()
	}
	return out
}

func rawsOf(es []*Entry) [][]byte {
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = bytes.Clone(e.Bytes())
	}
	return out
}

// checkBatch fails unless DecodeBatch(raws) accepts exactly the entries
// marked y in ok and gives, for each, what DecodeEntry gives.
func checkBatch(t *testing.T, raws [][]byte, ok string) {
	t.Helper()
	out, errs := DecodeBatch(raws)
	var got []byte
	for i := range raws {
		single, singleErr := DecodeEntry(raws[i])
		switch {
		case (out[i] == nil) == (errs[i] == nil):
			t.Fatalf("entry %d: entry %v with error %v", i, out[i], errs[i])
		case (singleErr == nil) != (errs[i] == nil):
			t.Fatalf("entry %d: DecodeEntry says %v, DecodeBatch %v", i, singleErr, errs[i])
		case out[i] == nil:
			got = append(got, '-')
			continue
		case !bytes.Equal(out[i].Bytes(), raws[i]) || out[i].Hash() != single.Hash():
			t.Fatalf("entry %d: bytes differ from the input", i)
		}
		got = append(got, 'y')
	}
	if string(got) != ok {
		t.Errorf("accepted %s, want %s", got, ok)
	}
}

func TestDecodeBatchAcceptsValidEntries(t *testing.T) {
	a, b := testIdentity(t, 0), testIdentity(t, 1)
	as, bs := chainOf(t, a, 4), chainOf(t, b, 2)
	t.Run("one feed", func(t *testing.T) { checkBatch(t, rawsOf(as), "yyyy") })
	t.Run("two feeds", func(t *testing.T) {
		checkBatch(t, rawsOf([]*Entry{as[0], as[1], bs[0], bs[1], as[2]}), "yyyyy")
	})
	t.Run("a gap", func(t *testing.T) { checkBatch(t, rawsOf([]*Entry{as[0], as[2], as[3]}), "yyy") })
	t.Run("empty", func(t *testing.T) { checkBatch(t, nil, "") })
}

func TestDecodeBatchRefusesWhatDecodeEntryRefuses(t *testing.T) {
	a := testIdentity(t, 0)
	as := chainOf(t, a, 4)
	t.Run("tampered inside", func(t *testing.T) {
		raws := rawsOf(as)
		raws[1][len(raws[1])-SignatureSize-1] ^= 1 // last ciphertext byte
		checkBatch(t, raws, "y-yy")
	})
	t.Run("last signature forged", func(t *testing.T) {
		raws := rawsOf(as)
		raws[3][len(raws[3])-1] ^= 1
		checkBatch(t, raws, "yyy-")
	})
	t.Run("garbage and truncated", func(t *testing.T) {
		raws := rawsOf(as)
		raws[1] = []byte("not an entry")
		raws[2] = raws[2][:len(raws[2])-1]
		checkBatch(t, raws, "y--y")
	})
	t.Run("forged feed", func(t *testing.T) {
		// A chain signed by b under a's name: every signature fails.
		var raws [][]byte
		var prev Hash
		for seq := range uint64(3) {
			r := validRawEntry()
			r.seq, r.prev = seq+1, prev
			raw := r.sign(1)
			pub := a.Public()
			copy(raw[offAuthor:], pub[:])
			raws, prev = append(raws, raw), entryHash(raw)
		}
		_, errs := DecodeBatch(raws)
		for i, err := range errs {
			if !errors.Is(err, ErrBadSignature) {
				t.Errorf("entry %d: %v, want %v", i, err, ErrBadSignature)
			}
		}
	})
}

// An author can chain an entry whose own signature is bad under a good
// one, so that the good signature covers the bad entry's bytes through
// the hash chain. The bad entry is refused all the same: a store that
// kept it would hold an entry that fails its own check, and the partner
// that later served it would be blamed (issue 13).
func TestDecodeBatchRefusesAnEntryVouchedForByItsSuccessor(t *testing.T) {
	first := validRawEntry().sign(0)
	first[len(first)-1] ^= 1
	second := validRawEntry()
	second.seq, second.prev = 2, entryHash(first)
	out, errs := DecodeBatch([][]byte{first, second.sign(0)})
	if out[0] != nil || !errors.Is(errs[0], ErrBadSignature) {
		t.Errorf("inner entry: %v, want %v", errs[0], ErrBadSignature)
	}
	if errs[1] != nil {
		t.Errorf("last entry: %v", errs[1])
	}
}

// FuzzDecodeBatch checks DecodeBatch against DecodeEntry on sets cut from
// the fuzzer's bytes: each entry is accepted exactly when DecodeEntry
// accepts it, with the same bytes.
func FuzzDecodeBatch(f *testing.F) {
	var seed []byte
	for _, e := range chainOf(f, testIdentity(f, 0), 3) {
		seed = append(seed, byte(len(e.Bytes())>>8), byte(len(e.Bytes())))
		seed = append(seed, e.Bytes()...)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		raws := splitRaws(b)
		out, errs := DecodeBatch(raws)
		for i, raw := range raws {
			e, err := DecodeEntry(raw)
			if (err == nil) != (errs[i] == nil) || (err == nil && out[i].Hash() != e.Hash()) {
				t.Fatalf("entry %d: DecodeEntry: %v, DecodeBatch: %v", i, err, errs[i])
			}
			if (out[i] == nil) == (errs[i] == nil) {
				t.Fatalf("entry %d: entry %v with error %v", i, out[i], errs[i])
			}
		}
	})
}

// splitRaws cuts b into length-prefixed (2 bytes) pieces.
func splitRaws(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		n := min(int(b[0])<<8|int(b[1]), len(b)-2)
		out, b = append(out, b[2:2+n]), b[2+n:]
	}
	return out
}
