package crypto

import (
	"crypto/cipher"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// The age payload is a 16-byte nonce followed by the plaintext in 64 KiB
// chunks, each sealed with ChaCha20-Poly1305 under the payload key
// HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"). A chunk's
// 12-byte AEAD nonce is an 11-byte big-endian chunk counter and a flag byte,
// 1 on the last chunk (age's STREAM). A plaintext of at most one chunk is
// thus a single chunk with counter 0 and the flag set: [Open] decrypts that
// case here, in one buffer of the exact size, without age's 64 KiB chunk
// buffers; longer payloads are left to the age library.
const (
	fileKeySize     = 16
	streamNonceSize = 16
	chunkSize       = 64 << 10
	tagSize         = chacha20poly1305.Overhead
	encChunkSize    = chunkSize + tagSize
)

// onlyChunkNonce is the AEAD nonce of chunk 0 when it is also the last.
var onlyChunkNonce = [chacha20poly1305.NonceSize]byte{chacha20poly1305.NonceSize - 1: 1}

// payloadAEAD returns the AEAD of the payload chunks.
func payloadAEAD(fileKey, nonce []byte) (cipher.AEAD, error) {
	key := hkdfSHA256(fileKey, nonce, "payload")
	return chacha20poly1305.New(key[:])
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
