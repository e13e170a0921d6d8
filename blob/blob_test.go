package blob

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// sealed is a file sealed in memory for tests.
type sealed struct {
	Sealed
	key    Key
	plain  []byte
	chunks [][]byte
}

func sealBytes(t testing.TB, plain []byte, k Key) sealed {
	t.Helper()
	s := sealed{key: k, plain: plain}
	var err error
	s.Sealed, err = Seal(bytes.NewReader(plain), k, func(i int, ct []byte) error {
		if i != len(s.chunks) {
			t.Fatalf("chunk %d handed over after %d", i, len(s.chunks))
		}
		s.chunks = append(s.chunks, ct)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func (s sealed) open(t testing.TB, chunks [][]byte) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	err := Open(&out, s.key, s.Manifest, int64(len(s.plain)), sha256.Sum256(s.plain), func(i int) ([]byte, error) { return chunks[i], nil })
	return out.Bytes(), err
}

func TestSealOpenRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		s := sealBytes(t, randomBytes(n, uint64(n)), NewKey())
		if got, want := len(s.chunks), ChunkCount(int64(n)); got != want || len(s.Manifest.Chunks) != want {
			t.Fatalf("size %d: %d chunks, manifest %d, want %d", n, got, len(s.Manifest.Chunks), want)
		}
		if s.SHA256 != sha256.Sum256(s.plain) || s.Manifest.Size != int64(n) {
			t.Fatalf("size %d: sum or size wrong", n)
		}
		got, err := s.open(t, s.chunks)
		if err != nil || !bytes.Equal(got, s.plain) {
			t.Fatalf("size %d: open: %v, equal %v", n, err, bytes.Equal(got, s.plain))
		}
		m, err := DecodeManifest(s.Manifest.Encode(), s.Manifest.ID())
		if err != nil || m.Size != int64(n) {
			t.Fatalf("size %d: decode manifest: %v", n, err)
		}
	}
}

func TestSealDeterministicUnderOneKey(t *testing.T) {
	plain, k := randomBytes(2*ChunkSize+5, 1), NewKey()
	a, b := sealBytes(t, plain, k), sealBytes(t, plain, k)
	if a.Manifest.ID() != b.Manifest.ID() {
		t.Fatal("the same file under the same key gave two blob ids")
	}
	if c := sealBytes(t, plain, NewKey()); c.Manifest.ID() == a.Manifest.ID() {
		t.Fatal("two keys gave the same blob id")
	}
}

// TestTamperedChunksRefused: every change a holder could make to the
// chunks is refused, by the manifest (which a relay checks) and by the
// AEAD (which the audience checks even with a manifest made to match).
func TestTamperedChunksRefused(t *testing.T) {
	s := sealBytes(t, randomBytes(3*ChunkSize+100, 2), NewKey())
	other := sealBytes(t, randomBytes(3*ChunkSize+100, 3), NewKey())
	flipped := bytes.Clone(s.chunks[1])
	flipped[len(flipped)/2] ^= 0x04
	cases := map[string]struct {
		i  int
		ct []byte
	}{
		"flipped bit":       {1, flipped},
		"reordered":         {1, s.chunks[2]},
		"truncated":         {3, s.chunks[3][:len(s.chunks[3])-1]},
		"last chunk as mid": {2, s.chunks[3]},
		"foreign chunk":     {1, other.chunks[1]},
		"empty":             {0, nil},
		"past the end":      {4, s.chunks[0]},
	}
	for name, c := range cases {
		if err := s.Manifest.Verify(c.i, c.ct); !errors.Is(err, ErrChunk) || !strings.Contains(err.Error(), "chunk") {
			t.Errorf("%s: Verify = %v, want ErrChunk", name, err)
		}
		if p, err := OpenChunk(s.key, s.Manifest, c.i, c.ct); p != nil || !errors.Is(err, ErrChunk) {
			t.Errorf("%s: OpenChunk = %v, want ErrChunk", name, err)
		}
	}
}

// TestForgedManifestStillRefused: a manifest rebuilt around altered
// chunks has another blob id; given as the record's manifest anyway the
// AEAD refuses the chunks: a reordered, foreign or truncated file does
// not open.
func TestForgedManifestStillRefused(t *testing.T) {
	s := sealBytes(t, randomBytes(3*ChunkSize, 4), NewKey())
	other := sealBytes(t, randomBytes(3*ChunkSize, 5), NewKey())
	forge := func(chunks [][]byte, size int64) *Manifest {
		m := &Manifest{Size: size}
		for _, c := range chunks {
			m.Chunks = append(m.Chunks, sha256.Sum256(c))
		}
		return m
	}
	cases := map[string]*Manifest{
		"swapped":   forge([][]byte{s.chunks[1], s.chunks[0], s.chunks[2]}, s.Manifest.Size),
		"foreign":   forge([][]byte{s.chunks[0], other.chunks[1], s.chunks[2]}, s.Manifest.Size),
		"truncated": forge(s.chunks[:2], 2*ChunkSize),
	}
	for name, m := range cases {
		if _, err := DecodeManifest(m.Encode(), s.Manifest.ID()); !errors.Is(err, ErrManifest) {
			t.Errorf("%s: DecodeManifest under the real id = %v, want ErrManifest", name, err)
		}
		last := len(m.Chunks) - 1
		chunks := map[string][][]byte{"swapped": {s.chunks[1], s.chunks[0], s.chunks[2]},
			"foreign": {s.chunks[0], other.chunks[1], s.chunks[2]}, "truncated": s.chunks[:2]}[name]
		var err error
		for i := range chunks {
			if _, err = OpenChunk(s.key, m, i, chunks[i]); err != nil {
				break
			}
		}
		if !errors.Is(err, ErrOpen) {
			t.Errorf("%s: chunks 0..%d open under a forged manifest: %v", name, last, err)
		}
	}
}

func TestOpenChecksRecordSizeAndSum(t *testing.T) {
	s := sealBytes(t, randomBytes(ChunkSize+3, 6), NewKey())
	get := func(i int) ([]byte, error) { return s.chunks[i], nil }
	var out bytes.Buffer
	if err := Open(&out, s.key, s.Manifest, s.Manifest.Size+1, s.SHA256, get); !errors.Is(err, ErrPlaintext) {
		t.Errorf("wrong size: %v, want ErrPlaintext", err)
	}
	if err := Open(&out, s.key, s.Manifest, s.Manifest.Size, [32]byte{1}, get); !errors.Is(err, ErrPlaintext) {
		t.Errorf("wrong sum: %v, want ErrPlaintext", err)
	}
	if err := Open(&out, NewKey(), s.Manifest, s.Manifest.Size, s.SHA256, get); !errors.Is(err, ErrOpen) {
		t.Errorf("wrong key: %v, want ErrOpen", err)
	}
}

func TestSealRefusesTooLarge(t *testing.T) {
	r := &zeros{n: MaxSize + 1}
	puts := 0
	_, err := Seal(r, NewKey(), func(int, []byte) error { puts++; return nil })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Seal of %d bytes = %v, want ErrTooLarge", MaxSize+1, err)
	}
	if puts != MaxChunks {
		t.Fatalf("%d chunks handed over, want %d", puts, MaxChunks)
	}
}

type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, errEOF
	}
	m := min(len(p), z.n)
	clear(p[:m])
	z.n -= m
	return m, nil
}

func TestDecodeManifestRefusesMalformed(t *testing.T) {
	good := sealBytes(t, randomBytes(2*ChunkSize, 7), NewKey()).Manifest.Encode()
	bad := map[string][]byte{
		"short":          good[:8],
		"version 2":      append([]byte{2}, good[1:]...),
		"missing hash":   good[:len(good)-32],
		"extra hash":     append(bytes.Clone(good), make([]byte, 32)...),
		"size too large": append([]byte{1, 0, 0, 0, 0, 4, 0, 0, 1}, make([]byte, 32)...),
	}
	for name, b := range bad {
		if m, err := DecodeManifest(b, idOf(b)); m != nil || !errors.Is(err, ErrManifest) {
			t.Errorf("%s: DecodeManifest = %v, want ErrManifest", name, err)
		}
	}
}

func TestParseID(t *testing.T) {
	id := sealBytes(t, []byte("x"), NewKey()).Manifest.ID()
	if got, err := ParseID(id.String()); err != nil || got != id {
		t.Fatalf("ParseID(String) = %v, %v", got, err)
	}
	for _, s := range []string{"", strings.ToUpper(id.String()), id.String()[:62], id.String() + "00", strings.Repeat("g", 64)} {
		if _, err := ParseID(s); err == nil {
			t.Errorf("ParseID(%q) accepted", s)
		}
	}
}
