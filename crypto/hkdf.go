package crypto

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// HKDF-SHA-256 (RFC 5869) with a 32-byte output, the one length age's
// format and the static-static stanza derive, computed on the stack.
// crypto/hkdf allocates two HMACs (four SHA-256 states and their pads)
// per call, about 1.2 KB in 16-17 objects; a reader derives two keys per
// record (the stanza's wrapping key and the payload key), and the
// garbage, not the eight SHA-256 blocks, was most of their cost
// (docs/performance.md, "CPU per record of the Hypercore comparison").
// The output equals crypto/hkdf's for every input (TestHKDFMatchesLibrary,
// FuzzHKDF).
const (
	sha256Block = 64
	// hmacStackMax is the longest HMAC message hmacSHA256 hashes on the
	// stack; longer inputs (none of kpnode's) go through crypto/hkdf.
	hmacStackMax = 64
)

// hkdfSHA256 derives a 32-byte key with HKDF-SHA-256 from secret, salt
// and info.
func hkdfSHA256(secret, salt []byte, info string) [32]byte {
	if len(secret) > hmacStackMax || len(info)+1 > hmacStackMax {
		return hkdfLibrary(secret, salt, info)
	}
	prk := hmacSHA256(salt, secret) // extract
	var t [hmacStackMax]byte
	n := copy(t[:], info)
	t[n] = 1 // T(1) = HMAC(PRK, info || 0x01): 32 bytes are one block of output
	return hmacSHA256(prk[:], t[:n+1])
}

// hkdfLibrary is hkdfSHA256 through crypto/hkdf, for inputs too long for
// the stack buffers.
func hkdfLibrary(secret, salt []byte, info string) [32]byte {
	k, err := hkdf.Key(sha256.New, secret, salt, info, 32)
	if err != nil {
		panic("crypto: hkdf of 32 bytes failed: " + err.Error()) // only for lengths over 255*32
	}
	return [32]byte(k)
}

// hmacSHA256 is HMAC-SHA-256 (RFC 2104) of msg, at most hmacStackMax
// bytes, under key: SHA-256(K^opad || SHA-256(K^ipad || msg)), where K is
// the key zero-padded to a block, or its SHA-256 when it is longer.
func hmacSHA256(key, msg []byte) [32]byte {
	if len(msg) > hmacStackMax {
		panic("crypto: hmacSHA256 message over the stack buffer") // callers check the length
	}
	var k [sha256Block]byte
	if len(key) > sha256Block {
		h := sha256.Sum256(key)
		copy(k[:], h[:])
	} else {
		copy(k[:], key)
	}
	var buf [sha256Block + hmacStackMax]byte
	for i, b := range k {
		buf[i] = b ^ 0x36
	}
	n := copy(buf[sha256Block:], msg)
	inner := sha256.Sum256(buf[:sha256Block+n])
	for i, b := range k {
		buf[i] = b ^ 0x5c
	}
	copy(buf[sha256Block:], inner[:])
	return sha256.Sum256(buf[:sha256Block+len(inner)])
}
