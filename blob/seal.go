package blob

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the size of a file key.
const KeySize = 32

// Key is a file key: random, one per file and author. It travels only
// inside records sealed to their audience.
type Key [KeySize]byte

// String hides the key from fmt.
func (Key) String() string { return "[file key]" }

// LogValue hides the key from logs.
func (Key) LogValue() slog.Value { return slog.StringValue("[file key]") }

// NewKey returns a fresh random file key.
func NewKey() Key {
	var k Key
	rand.Read(k[:])
	return k
}

// payloadInfo is the HKDF info of the chunk key derived from a file key.
const payloadInfo = "kpnode/blob/v1 payload"

func newAEAD(k Key) cipher.AEAD {
	pk, err := hkdf.Key(sha256.New, k[:], nil, payloadInfo, chacha20poly1305.KeySize)
	if err != nil {
		panic("blob: hkdf: " + err.Error()) // only for lengths that cannot occur
	}
	a, err := chacha20poly1305.New(pk)
	if err != nil {
		panic("blob: chacha20poly1305: " + err.Error())
	}
	return a
}

// nonce returns chunk i's nonce: the index in 11 bytes big-endian, then 1
// for the last chunk and 0 otherwise (age's STREAM).
func nonce(i int, last bool) []byte {
	n := make([]byte, chacha20poly1305.NonceSize)
	binary.BigEndian.PutUint64(n[3:11], uint64(i))
	if last {
		n[11] = 1
	}
	return n
}

// Sealed is what [Seal] returns about a file.
type Sealed struct {
	Manifest *Manifest
	SHA256   [sha256.Size]byte // of the plaintext
}

// Seal reads a file from r, seals it under k chunk by chunk and hands each
// ciphertext chunk, in order, to put, never holding more than two chunks.
// The same file under the same key gives the same chunks and blob id. It
// fails with [ErrTooLarge] past [MaxSize] bytes.
func Seal(r io.Reader, k Key, put func(i int, ct []byte) error) (Sealed, error) {
	s := sealer{aead: newAEAD(k), sum: sha256.New(), m: &Manifest{}, put: put}
	cur, next := make([]byte, ChunkSize), make([]byte, ChunkSize)
	n, err := readChunk(r, cur)
	for i := 0; err == nil; i++ {
		var m int
		m, err = readChunk(r, next)
		if err != nil {
			break
		}
		if err = s.chunk(i, cur[:n], m == 0); err != nil || m == 0 {
			break
		}
		cur, next, n = next, cur, m
	}
	if err != nil {
		return Sealed{}, err
	}
	s.m.Size = s.size
	return Sealed{Manifest: s.m, SHA256: [sha256.Size]byte(s.sum.Sum(nil))}, nil
}

// sealer is the state of one [Seal].
type sealer struct {
	aead cipher.AEAD
	sum  hash.Hash
	m    *Manifest
	size int64
	put  func(int, []byte) error
}

func (s *sealer) chunk(i int, p []byte, last bool) error {
	if s.size += int64(len(p)); s.size > MaxSize {
		return fmt.Errorf("seal file: more than %d bytes: %w", MaxSize, ErrTooLarge)
	}
	s.sum.Write(p)
	ct := s.aead.Seal(nil, nonce(i, last), p, nil)
	s.m.Chunks = append(s.m.Chunks, sha256.Sum256(ct))
	if err := s.put(i, ct); err != nil {
		return fmt.Errorf("seal file: store chunk %d: %w", i, err)
	}
	return nil
}

// readChunk fills b as far as r allows; 0 bytes means the end.
func readChunk(r io.Reader, b []byte) (int, error) {
	n, err := io.ReadFull(r, b)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	if err != nil {
		return 0, fmt.Errorf("seal file: read: %w", err)
	}
	return n, nil
}

// OpenChunk checks ciphertext chunk i against m ([Manifest.Verify]) and
// opens it under k.
func OpenChunk(k Key, m *Manifest, i int, ct []byte) ([]byte, error) {
	if err := m.Verify(i, ct); err != nil {
		return nil, err
	}
	return openChunk(newAEAD(k), m, i, ct)
}

func openChunk(a cipher.AEAD, m *Manifest, i int, ct []byte) ([]byte, error) {
	p, err := a.Open(nil, nonce(i, i == len(m.Chunks)-1), ct, nil)
	if err != nil {
		return nil, fmt.Errorf("open chunk %d of %d: %w", i, len(m.Chunks), ErrOpen)
	}
	return p, nil
}

// Open writes the plaintext of the file m describes to w, reading each
// chunk from get, and checks at the end that it has size bytes with
// SHA-256 sum, as its record states. w has received the chunks that
// opened before any error; a caller writes to a temporary file and keeps
// it only when Open returns nil.
func Open(w io.Writer, k Key, m *Manifest, size int64, sum [sha256.Size]byte, get func(i int) ([]byte, error)) error {
	if m.Size != size {
		return fmt.Errorf("open file: manifest says %d bytes, record %d: %w", m.Size, size, ErrPlaintext)
	}
	a, h := newAEAD(k), sha256.New()
	for i := range m.Chunks {
		ct, err := get(i)
		if err != nil {
			return fmt.Errorf("open file: read chunk %d: %w", i, err)
		}
		if err := m.Verify(i, ct); err != nil {
			return err
		}
		p, err := openChunk(a, m, i, ct)
		if err != nil {
			return err
		}
		h.Write(p)
		if _, err := w.Write(p); err != nil {
			return fmt.Errorf("open file: write: %w", err)
		}
	}
	if [sha256.Size]byte(h.Sum(nil)) != sum {
		return fmt.Errorf("open file: plaintext SHA-256 differs from the record's: %w", ErrPlaintext)
	}
	return nil
}
