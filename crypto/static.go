package crypto

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// The static-static stanza ("kpnode-ss25519"), for a recipient the author
// knows (a pinned partner, or the author itself). It is an ordinary age v1
// stanza of a type of kpnode's own:
//
//	-> kpnode-ss25519 <base64 of a 16-byte random salt>
//	<base64 of the 16-byte file key sealed with ChaCha20-Poly1305>
//
// The wrapping key is HKDF-SHA-256(ikm = X25519(author age key, recipient
// age key), salt = salt || author public key || recipient public key,
// info = ssLabel), used once with a zero nonce. The shared secret of a pair
// of static keys does not change, so it is computed once per pair and
// cached: wrapping and unwrapping then cost an HKDF and a 16-byte AEAD, no
// scalar multiplication. The stanza names no recipient (as age's X25519
// stanza does not); a reader tries the stanzas in age's order, at the
// cost of an HKDF per stanza tried, until the first that is not "not
// mine" (docs/security.md, "Equal verdicts").
//
// Authenticity of an entry still comes from its Ed25519 signature, not
// from the stanza; see docs/security.md, "Static-static stanzas".
const (
	ssStanzaType = "kpnode-ss25519"
	ssLabel      = "kpnode/ss25519/v1"
	ssSaltSize   = 16
	// ssStanzaSize is the encoded size of a static-static stanza.
	ssStanzaSize = len(stanzaPrefix) + 1 + len(ssStanzaType) + 1 + 22 + 1 + 43 + 1
)

// ssPair is the cached X25519 shared secret of an (author, recipient)
// pair of static keys.
type ssPair struct {
	shared    []byte
	author    [x25519KeySize]byte
	recipient [x25519KeySize]byte
}

// wrapKey derives the key that wraps the file key in a stanza with salt.
func (p *ssPair) wrapKey(salt []byte) [32]byte {
	var s [ssSaltSize + 2*x25519KeySize]byte
	n := copy(s[:], salt)
	n += copy(s[n:], p.author[:])
	copy(s[n:], p.recipient[:])
	return hkdfSHA256(p.shared, s[:], ssLabel)
}

// ssCacheMax bounds the cache of shared secrets: a node knows at most a
// few hundred partners, each a pair in each direction. When full, the
// cache is emptied and refilled on use.
const ssCacheMax = 4096

// ssCache maps (our public key, their public key) to the shared secret.
var ssCache struct {
	mu    sync.Mutex
	pairs map[[2 * x25519KeySize]byte][]byte
}

// sharedSecret returns X25519(ours, their), from the cache when it has been
// computed before. It refuses a low-order point, as age does.
func sharedSecret(ours *x25519Identity, their *ecdh.PublicKey) ([]byte, error) {
	var key [2 * x25519KeySize]byte
	copy(key[copy(key[:], ours.pub[:]):], their.Bytes())
	ssCache.mu.Lock()
	s, ok := ssCache.pairs[key]
	ssCache.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := ours.priv.ECDH(their)
	if err != nil {
		return nil, err
	}
	ssCache.mu.Lock()
	defer ssCache.mu.Unlock()
	if ssCache.pairs == nil || len(ssCache.pairs) >= ssCacheMax {
		ssCache.pairs = make(map[[2 * x25519KeySize]byte][]byte)
	}
	ssCache.pairs[key] = s
	return s, nil
}

// StaticRecipient is an [age.Recipient] that wraps the file key for one
// known recipient with a static-static stanza from one author. Build it
// with [NewStaticRecipient]; [Seal] and age.Encrypt take it as any other
// recipient.
type StaticRecipient struct {
	pair *ssPair
}

// NewStaticRecipient returns the recipient to seal to from author's age
// identity. The shared secret is computed here (or found in the cache).
func NewStaticRecipient(author *age.X25519Identity, to *age.X25519Recipient) (*StaticRecipient, error) {
	if author == nil || to == nil {
		return nil, errors.New("static recipient: nil key")
	}
	ours, err := fastX25519(author)
	if err != nil {
		return nil, fmt.Errorf("static recipient: %w", err)
	}
	their, err := x25519PublicKey(to)
	if err != nil {
		return nil, fmt.Errorf("static recipient: %w", err)
	}
	shared, err := sharedSecret(ours, their)
	if err != nil {
		return nil, fmt.Errorf("static recipient: %w", err)
	}
	p := &ssPair{shared: shared, author: ours.pub}
	copy(p.recipient[:], their.Bytes())
	return &StaticRecipient{pair: p}, nil
}

// Wrap implements [age.Recipient].
func (r *StaticRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	if r == nil || r.pair == nil {
		return nil, errors.New("static recipient: not built by NewStaticRecipient")
	}
	var salt [ssSaltSize]byte
	rand.Read(salt[:]) // never fails (crypto/rand, Go 1.24+)
	body, err := r.seal(salt[:], fileKey)
	if err != nil {
		return nil, err
	}
	return []*age.Stanza{{Type: ssStanzaType, Args: []string{b64.EncodeToString(salt[:])}, Body: body}}, nil
}

// seal wraps fileKey under the key for salt.
func (r *StaticRecipient) seal(salt, fileKey []byte) ([]byte, error) {
	k := r.pair.wrapKey(salt)
	aead, err := chacha20poly1305.New(k[:])
	if err != nil {
		return nil, err
	}
	return aead.Seal(make([]byte, 0, fileKeySize+tagSize), zeroNonce[:], fileKey, nil), nil
}

// StaticIdentity is an [age.Identity] for a reader that knows the author:
// it opens the author's static-static stanzas addressed to the reader and,
// like an *age.X25519Identity, standard X25519 stanzas. Stanzas of other
// types are skipped; a malformed static-static or X25519 stanza is an
// error, as age treats a malformed stanza of a type it knows.
type StaticIdentity struct {
	pair *ssPair
	x    *x25519Identity
}

// NewStaticIdentity returns the identity with which reader opens what
// author sealed. For the author's own stanza, author is reader's own
// recipient.
func NewStaticIdentity(reader *age.X25519Identity, author *age.X25519Recipient) (*StaticIdentity, error) {
	if reader == nil || author == nil {
		return nil, errors.New("static identity: nil key")
	}
	ours, err := fastX25519(reader)
	if err != nil {
		return nil, fmt.Errorf("static identity: %w", err)
	}
	their, err := x25519PublicKey(author)
	if err != nil {
		return nil, fmt.Errorf("static identity: %w", err)
	}
	shared, err := sharedSecret(ours, their)
	if err != nil {
		return nil, fmt.Errorf("static identity: %w", err)
	}
	p := &ssPair{shared: shared, recipient: ours.pub}
	copy(p.author[:], their.Bytes())
	return &StaticIdentity{pair: p, x: ours}, nil
}

// Unwrap implements [age.Identity]: it tries the stanzas in order.
func (s *StaticIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if s == nil || s.pair == nil {
		return nil, errors.New("static identity: not built by NewStaticIdentity")
	}
	for _, st := range stanzas {
		var key []byte
		var err error
		switch st.Type {
		case ssStanzaType:
			key, err = s.unwrap(st)
		case x25519StanzaType:
			key, err = s.x.unwrap(st)
		default:
			continue
		}
		if errors.Is(err, age.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, age.ErrIncorrectIdentity
}

// unwrap opens one static-static stanza, after checking its shape.
func (s *StaticIdentity) unwrap(st *age.Stanza) ([]byte, error) {
	if len(st.Args) != 1 {
		return nil, fmt.Errorf("invalid %s stanza: %d arguments, want 1", ssStanzaType, len(st.Args))
	}
	var salt [ssSaltSize]byte
	if len(st.Args[0]) != b64.EncodedLen(ssSaltSize) {
		return nil, fmt.Errorf("invalid %s stanza: salt is not %d bytes", ssStanzaType, ssSaltSize)
	}
	if _, err := b64.Decode(salt[:], []byte(st.Args[0])); err != nil {
		return nil, fmt.Errorf("invalid %s stanza: salt: %v", ssStanzaType, err)
	}
	if len(st.Body) != fileKeySize+tagSize {
		return nil, fmt.Errorf("invalid %s stanza: body of %d bytes, want %d", ssStanzaType, len(st.Body), fileKeySize+tagSize)
	}
	k := s.pair.wrapKey(salt[:])
	aead, err := chacha20poly1305.New(k[:])
	if err != nil {
		return nil, err
	}
	fileKey, err := aead.Open(make([]byte, 0, fileKeySize), zeroNonce[:], st.Body, nil)
	if err != nil {
		return nil, age.ErrIncorrectIdentity
	}
	return fileKey, nil
}
