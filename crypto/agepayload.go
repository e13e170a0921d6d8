package crypto

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// The age payload is a 16-byte nonce followed by the plaintext in 64 KiB
// chunks, each sealed with ChaCha20-Poly1305 under the payload key
// HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"). A chunk's
// 12-byte AEAD nonce is an 11-byte big-endian chunk counter and a flag byte,
// 1 on the last chunk (age's STREAM). A plaintext of at most one chunk is
// thus a single chunk with counter 0 and the flag set: that case is done
// here, in the caller's buffers, without age's 64 KiB chunk buffers; longer
// payloads are left to the age library.
const (
	fileKeySize     = 16
	streamNonceSize = 16
	chunkSize       = 64 << 10
	tagSize         = chacha20poly1305.Overhead
	encChunkSize    = chunkSize + tagSize
)

// onlyChunkNonce is the AEAD nonce of chunk 0 when it is also the last.
var onlyChunkNonce = [chacha20poly1305.NonceSize]byte{chacha20poly1305.NonceSize - 1: 1}

// hkdfSHA256 derives a 32-byte key with HKDF-SHA-256.
func hkdfSHA256(secret, salt []byte, info string) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, salt, info, chacha20poly1305.KeySize)
}

// payloadAEAD returns the AEAD of the payload chunks.
func payloadAEAD(fileKey, nonce []byte) (cipher.AEAD, error) {
	key, err := hkdfSHA256(fileKey, nonce, "payload")
	if err != nil {
		return nil, err
	}
	return chacha20poly1305.New(key)
}

// sealedSize is the size of an age file of one chunk whose stanzas take
// stanzaBytes.
func sealedSize(plaintext, stanzaBytes int) int {
	return len(ageIntro) + 1 + stanzaBytes +
		len(footerPrefix) + 1 + b64.EncodedLen(macSize) + 1 +
		streamNonceSize + plaintext + tagSize
}

// stanzaWriter appends to b the stanza that wraps fileKey for one
// recipient.
type stanzaWriter func(b, fileKey []byte) ([]byte, error)

// x25519Writers returns the stanza writers of X25519 recipients.
func x25519Writers(keys []*ecdh.PublicKey) []stanzaWriter {
	ws := make([]stanzaWriter, len(keys))
	for i, k := range keys {
		ws[i] = func(b, fileKey []byte) ([]byte, error) { return appendX25519Stanza(b, fileKey, k) }
	}
	return ws
}

// sealOneChunk is [Seal] for a plaintext of at most one chunk: a fresh
// file key wrapped by each stanza writer (stanzaBytes in all), the header
// with its MAC, a fresh nonce and the single chunk, written into one
// exactly sized buffer.
func sealOneChunk(plaintext []byte, writers []stanzaWriter, stanzaBytes int) ([]byte, error) {
	var fileKey [fileKeySize]byte
	rand.Read(fileKey[:]) // never fails (crypto/rand, Go 1.24+)
	out := make([]byte, 0, sealedSize(len(plaintext), stanzaBytes))
	out = append(out, ageIntro+"\n"...)
	for i, w := range writers {
		var err error
		if out, err = w(out, fileKey[:]); err != nil {
			return nil, fmt.Errorf("wrap file key for recipient #%d: %w", i, err)
		}
	}
	out, err := appendFooter(out, 0, fileKey[:])
	if err != nil {
		return nil, err
	}
	start := len(out)
	out = out[:start+streamNonceSize]
	rand.Read(out[start:])
	aead, err := payloadAEAD(fileKey[:], out[start:])
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, onlyChunkNonce[:], plaintext, nil), nil
}

// openOneChunk decrypts a payload (nonce and chunks) that holds at most one
// chunk. As in age, that chunk must carry the last-chunk flag, and only an
// empty plaintext may give an empty (tag-only) chunk, which it must.
func openOneChunk(fileKey, payload []byte) ([]byte, error) {
	if len(payload) < streamNonceSize {
		return nil, errors.New("payload: truncated nonce")
	}
	nonce, chunk := payload[:streamNonceSize], payload[streamNonceSize:]
	if len(chunk) < tagSize {
		return nil, fmt.Errorf("payload: truncated: %d bytes after the nonce, want at least %d", len(chunk), tagSize)
	}
	aead, err := payloadAEAD(fileKey, nonce)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	pt, err := aead.Open(make([]byte, 0, len(chunk)-tagSize), onlyChunkNonce[:], chunk, nil)
	if err != nil {
		return nil, errors.New("payload: failed to decrypt and authenticate the last chunk (corrupted, tampered with or truncated)")
	}
	return pt, nil
}
