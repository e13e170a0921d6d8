package blob

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

const (
	// ChunkSize is the plaintext size of every chunk but the last.
	ChunkSize = 64 << 10
	// Overhead is what sealing adds to a chunk: the Poly1305 tag.
	Overhead = 16
	// MaxSize caps a file's plaintext size: 64 MiB, 1024 chunks.
	MaxSize = 64 << 20
	// MaxChunks is the chunk count of a file of [MaxSize] bytes.
	MaxChunks = MaxSize / ChunkSize
	// MaxChunkCiphertext is the size of a full sealed chunk.
	MaxChunkCiphertext = ChunkSize + Overhead
	// MaxManifestSize is the encoded size of a manifest of [MaxChunks].
	MaxManifestSize = manifestHeader + MaxChunks*sha256.Size
	// manifestHeader is version(1) size(8).
	manifestHeader  = 9
	manifestVersion = 1
)

// idDomain prefixes a manifest when it is hashed into a blob id.
const idDomain = "kpnode/blob/v1\x00"

// ID names a blob: the SHA-256 of "kpnode/blob/v1" 0x00 and its manifest.
type ID [sha256.Size]byte

// String returns the id in lowercase hex.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID decodes 64 lowercase hex characters.
func ParseID(s string) (ID, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(ID{}) || strings.ToLower(s) != s {
		return ID{}, fmt.Errorf("parse blob id %.80q: want 64 lowercase hex characters", s)
	}
	return ID(b), nil
}

// Manifest describes a sealed file: its plaintext size and the SHA-256 of
// each ciphertext chunk in order. It holds nothing secret.
type Manifest struct {
	Size   int64               // plaintext bytes, 0..MaxSize
	Chunks [][sha256.Size]byte // one per chunk: ChunkCount(Size) of them
}

// ChunkCount returns the number of chunks of a file of size bytes: at
// least one (an empty file is one empty final chunk).
func ChunkCount(size int64) int {
	if size <= 0 {
		return 1
	}
	return int((size + ChunkSize - 1) / ChunkSize)
}

// CiphertextLen returns the length chunk i of a file of size bytes has
// once sealed, or -1 when there is no such chunk.
func CiphertextLen(size int64, i int) int {
	n := ChunkCount(size)
	if i < 0 || i >= n {
		return -1
	}
	if i < n-1 {
		return MaxChunkCiphertext
	}
	return int(size-int64(n-1)*ChunkSize) + Overhead
}

// Encode returns the manifest's bytes: version 1 (1 byte), the size
// (8 bytes, big-endian) and the chunk hashes.
func (m *Manifest) Encode() []byte {
	b := make([]byte, 0, manifestHeader+len(m.Chunks)*sha256.Size)
	b = append(b, manifestVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Size))
	for _, h := range m.Chunks {
		b = append(b, h[:]...)
	}
	return b
}

// ID returns the blob id of the manifest.
func (m *Manifest) ID() ID { return idOf(m.Encode()) }

func idOf(encoded []byte) ID {
	h := sha256.New()
	h.Write([]byte(idDomain))
	h.Write(encoded)
	return ID(h.Sum(nil))
}

// DecodeManifest decodes manifest bytes and checks that they hash to id:
// a manifest from anyone is then as good as the author's.
func DecodeManifest(b []byte, id ID) (*Manifest, error) {
	m, err := decodeManifest(b)
	if err != nil {
		return nil, err
	}
	if idOf(b) != id {
		return nil, fmt.Errorf("decode manifest: hashes to %s, not blob %s: %w", idOf(b), id, ErrManifest)
	}
	return m, nil
}

func decodeManifest(b []byte) (*Manifest, error) {
	if len(b) < manifestHeader || len(b) > MaxManifestSize {
		return nil, fmt.Errorf("decode manifest: %d bytes, want %d..%d: %w", len(b), manifestHeader, MaxManifestSize, ErrManifest)
	}
	if b[0] != manifestVersion {
		return nil, fmt.Errorf("decode manifest: version %d, want 1: %w", b[0], ErrManifest)
	}
	size := binary.BigEndian.Uint64(b[1:])
	if size > MaxSize {
		return nil, fmt.Errorf("decode manifest: size %d exceeds %d: %w", size, MaxSize, ErrManifest)
	}
	n := ChunkCount(int64(size))
	if len(b) != manifestHeader+n*sha256.Size {
		return nil, fmt.Errorf("decode manifest: %d bytes for %d chunks, want %d: %w", len(b), n, manifestHeader+n*sha256.Size, ErrManifest)
	}
	m := &Manifest{Size: int64(size), Chunks: make([][sha256.Size]byte, n)}
	for i := range m.Chunks {
		copy(m.Chunks[i][:], b[manifestHeader+i*sha256.Size:])
	}
	return m, nil
}

// Verify checks ciphertext chunk i against the manifest: its length for
// its position and its hash. A relay that cannot open the file checks
// every chunk it receives with it.
func (m *Manifest) Verify(i int, ct []byte) error {
	want := CiphertextLen(m.Size, i)
	if want < 0 || len(m.Chunks) != ChunkCount(m.Size) {
		return fmt.Errorf("verify chunk %d of %d: no such chunk: %w", i, len(m.Chunks), ErrChunk)
	}
	if len(ct) != want {
		return fmt.Errorf("verify chunk %d of %d: %d bytes, want %d: %w", i, len(m.Chunks), len(ct), want, ErrChunk)
	}
	if sha256.Sum256(ct) != m.Chunks[i] {
		return fmt.Errorf("verify chunk %d of %d: hash differs from the manifest's: %w", i, len(m.Chunks), ErrChunk)
	}
	return nil
}
