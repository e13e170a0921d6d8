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

// checkRun fails unless DecodeRun(raws) accepts exactly the entries marked
// in ok, checking the signatures of exactly those in checked.
func checkRun(t *testing.T, raws [][]byte, ok, checked string) {
	t.Helper()
	out, errs := DecodeRun(raws)
	var gotOK, gotChecked []byte
	for i := range raws {
		switch {
		case (out[i] == nil) == (errs[i] == nil):
			t.Fatalf("entry %d: entry %v with error %v", i, out[i], errs[i])
		case out[i] == nil:
			gotOK, gotChecked = append(gotOK, '-'), append(gotChecked, '-')
			continue
		case !bytes.Equal(out[i].Bytes(), raws[i]):
			t.Fatalf("entry %d: bytes differ from the input", i)
		}
		gotOK = append(gotOK, 'y')
		if out[i].SignatureChecked() {
			gotChecked = append(gotChecked, 's')
		} else {
			gotChecked = append(gotChecked, '.')
		}
	}
	if string(gotOK) != ok || string(gotChecked) != checked {
		t.Errorf("accepted %s checked %s, want %s and %s", gotOK, gotChecked, ok, checked)
	}
}

func TestDecodeRunChecksOneSignaturePerRun(t *testing.T) {
	a, b := testIdentity(t, 0), testIdentity(t, 1)
	as, bs := chainOf(t, a, 4), chainOf(t, b, 2)
	t.Run("one feed", func(t *testing.T) { checkRun(t, rawsOf(as), "yyyy", "...s") })
	t.Run("two feeds", func(t *testing.T) {
		checkRun(t, rawsOf([]*Entry{as[0], as[1], bs[0], bs[1], as[2]}), "yyyyy", ".s.ss")
	})
	t.Run("a gap ends a run", func(t *testing.T) {
		checkRun(t, rawsOf([]*Entry{as[0], as[2], as[3]}), "yyy", "s.s")
	})
	t.Run("empty", func(t *testing.T) { checkRun(t, nil, "", "") })
}

func TestDecodeRunRefusesWhatDecodeEntryRefuses(t *testing.T) {
	a := testIdentity(t, 0)
	as := chainOf(t, a, 4)
	t.Run("tampered inside", func(t *testing.T) {
		raws := rawsOf(as)
		raws[1][len(raws[1])-SignatureSize-1] ^= 1 // last ciphertext byte
		checkRun(t, raws, "y-yy", "s-.s")
	})
	t.Run("last signature forged", func(t *testing.T) {
		raws := rawsOf(as)
		raws[3][len(raws[3])-1] ^= 1
		checkRun(t, raws, "yyy-", "sss-")
	})
	t.Run("garbage and truncated", func(t *testing.T) {
		raws := rawsOf(as)
		raws[1] = []byte("not an entry")
		raws[2] = raws[2][:len(raws[2])-1]
		checkRun(t, raws, "y--y", "s--s")
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
		_, errs := DecodeRun(raws)
		for i, err := range errs {
			if !errors.Is(err, ErrBadSignature) {
				t.Errorf("entry %d: %v, want %v", i, err, ErrBadSignature)
			}
		}
	})
	t.Run("other author's prev", func(t *testing.T) {
		// b's entry naming a's entry as its prev starts a run of its own.
		r := validRawEntry()
		r.seq, r.prev = 2, as[0].Hash()
		checkRun(t, [][]byte{as[0].Bytes(), r.sign(1)}, "yy", "ss")
	})
}

// An author can chain an entry whose own signature is bad under a good
// one: DecodeRun accepts it, as the author vouched for its bytes, and
// CheckSignature still tells.
func TestDecodeRunAuthorVouchesForItsChain(t *testing.T) {
	first := validRawEntry().sign(0)
	first[len(first)-1] ^= 1
	second := validRawEntry()
	second.seq, second.prev = 2, entryHash(first)
	out, errs := DecodeRun([][]byte{first, second.sign(0)})
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("DecodeRun: %v, %v", errs[0], errs[1])
	}
	if err := out[0].CheckSignature(); !errors.Is(err, ErrBadSignature) {
		t.Errorf("CheckSignature of the inner entry: %v, want %v", err, ErrBadSignature)
	}
	if err := out[1].CheckSignature(); err != nil {
		t.Errorf("CheckSignature of the last entry: %v", err)
	}
}

// FuzzDecodeRun checks DecodeRun against DecodeEntry on runs cut from the
// fuzzer's bytes: whatever DecodeEntry accepts DecodeRun accepts, and
// every entry DecodeRun accepts without checking its signature is chained
// to the next accepted one.
func FuzzDecodeRun(f *testing.F) {
	var seed []byte
	for _, e := range chainOf(f, testIdentity(f, 0), 3) {
		seed = append(seed, byte(len(e.Bytes())>>8), byte(len(e.Bytes())))
		seed = append(seed, e.Bytes()...)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		raws := splitRaws(b)
		out, errs := DecodeRun(raws)
		for i, raw := range raws {
			if e, err := DecodeEntry(raw); err == nil && (errs[i] != nil || out[i].Hash() != e.Hash()) {
				t.Fatalf("entry %d: DecodeEntry accepts it, DecodeRun: %v", i, errs[i])
			}
			if out[i] == nil || out[i].SignatureChecked() {
				continue
			}
			if i+1 == len(raws) || out[i+1] == nil || !follows(out[i], out[i+1]) {
				t.Fatalf("entry %d accepted unchecked without a successor", i)
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
