package blob

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

var errEOF = io.EOF

// FuzzDecodeManifest: a manifest decodes only to one that encodes back to
// the same bytes; on error the result is nil.
func FuzzDecodeManifest(f *testing.F) {
	f.Add(sealBytes(f, randomBytes(ChunkSize+1, 8), NewKey()).Manifest.Encode())
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b, idOf(b))
		if err != nil {
			if m != nil || !errors.Is(err, ErrManifest) {
				t.Fatalf("error %v with a manifest", err)
			}
			return
		}
		if !bytes.Equal(m.Encode(), b) || m.ID() != idOf(b) {
			t.Fatal("decode then encode differs")
		}
	})
}

// FuzzOpenChunk: no bytes but the sealed chunk open at a position, and
// nothing panics on any input.
func FuzzOpenChunk(f *testing.F) {
	s := sealBytes(f, randomBytes(2*ChunkSize+9, 9), Key{1})
	for i, c := range s.chunks {
		f.Add(i, c)
	}
	f.Fuzz(func(t *testing.T, i int, ct []byte) {
		p, err := OpenChunk(s.key, s.Manifest, i, ct)
		if err != nil {
			if p != nil {
				t.Fatal("plaintext with an error")
			}
			return
		}
		if i < 0 || i >= len(s.chunks) || !bytes.Equal(ct, s.chunks[i]) {
			t.Fatalf("chunk %d opened from bytes that are not its own", i)
		}
		if !bytes.Equal(p, s.plain[i*ChunkSize:min(len(s.plain), (i+1)*ChunkSize)]) {
			t.Fatal("opened to other plaintext")
		}
	})
}
