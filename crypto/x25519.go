package crypto

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"weak"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sealing to an age X25519 recipient (age-encryption.org/v1, "X25519
// recipient stanza"): an ephemeral key pair, the shared secret with the
// recipient, a wrapping key HKDF-SHA-256(ikm = shared secret, salt =
// ephemeral public key || recipient public key, info = x25519Label), and
// the file key sealed with ChaCha20-Poly1305 under that key and a zero
// nonce, in the stanza "-> X25519 <ephemeral public key>" + body.
//
// This is age's X25519Recipient.Wrap done with crypto/ecdh directly: age
// goes through x/crypto/curve25519.X25519, which builds an ecdh private key
// (one scalar multiplication for its public key) on every call, so its
// Wrap costs four scalar multiplications where two are needed.
const (
	x25519Label      = "age-encryption.org/v1/X25519"
	x25519StanzaType = "X25519"
	x25519KeySize    = 32
	// x25519StanzaSize is the encoded size of an X25519 stanza: the line
	// with the 43-character ephemeral key and one 43-character body line.
	x25519StanzaSize = len(stanzaPrefix) + 1 + len(x25519StanzaType) + 1 + 43 + 1 + 43 + 1
)

// zeroNonce is the AEAD nonce for wrapping file keys: each wrapping key is
// used once.
var zeroNonce [chacha20poly1305.NonceSize]byte

// x25519Recipient is an *age.X25519Recipient in crypto/ecdh form: its
// Wrap writes the same stanza as age's.
type x25519Recipient struct {
	pub *ecdh.PublicKey
}

// Wrap implements [age.Recipient].
func (r *x25519Recipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	shared, err := eph.ECDH(r.pub) // refuses a low-order point, as age does
	if err != nil {
		return nil, err
	}
	var salt [2 * x25519KeySize]byte
	copy(salt[copy(salt[:], eph.PublicKey().Bytes()):], r.pub.Bytes())
	wrapKey := hkdfSHA256(shared, salt[:], x25519Label)
	aead, err := chacha20poly1305.New(wrapKey[:])
	if err != nil {
		return nil, err
	}
	body := aead.Seal(make([]byte, 0, fileKeySize+tagSize), zeroNonce[:], fileKey, nil)
	arg := b64.EncodeToString(salt[:x25519KeySize])
	return []*age.Stanza{{Type: x25519StanzaType, Args: []string{arg}, Body: body}}, nil
}

// fastRecipients returns recipients with every *age.X25519Recipient
// replaced by its crypto/ecdh form, and the others as they are. It
// refuses nil recipients, on which age would panic.
func fastRecipients(recipients []age.Recipient) ([]age.Recipient, error) {
	out := make([]age.Recipient, len(recipients))
	for i, r := range recipients {
		x, isX := r.(*age.X25519Recipient)
		if r == nil || isX && x == nil {
			return nil, fmt.Errorf("recipient #%d is nil", i)
		}
		out[i] = r
		if !isX {
			continue
		}
		if pub, err := x25519PublicKey(x); err == nil {
			out[i] = &x25519Recipient{pub: pub}
		}
	}
	return out, nil
}

// x25519PublicKey returns the public key of an age X25519 recipient. age
// does not expose it, so it is decoded from the recipient's "age1…" string.
func x25519PublicKey(r *age.X25519Recipient) (*ecdh.PublicKey, error) {
	var buf [x25519KeySize]byte
	raw, err := decodeBech32(buf[:0], r.String(), "age")
	if err != nil {
		return nil, err
	}
	if len(raw) != x25519KeySize {
		return nil, fmt.Errorf("X25519 recipient of %d bytes, want %d", len(raw), x25519KeySize)
	}
	return ecdh.X25519().NewPublicKey(raw)
}

// x25519Identity is an age X25519 identity held as a crypto/ecdh key, so
// that unwrapping a stanza costs one scalar multiplication. age's
// X25519Identity.Unwrap costs two, because x/crypto/curve25519.X25519
// rebuilds an ecdh private key, public key included, on every call.
type x25519Identity struct {
	priv *ecdh.PrivateKey
	pub  [x25519KeySize]byte
}

// newX25519Identity builds the ecdh form of id. age does not expose the
// scalar, so it is decoded from id's "AGE-SECRET-KEY-1…" string.
func newX25519Identity(id *age.X25519Identity) (*x25519Identity, error) {
	var buf [x25519KeySize]byte
	scalar, err := decodeBech32(buf[:0], strings.ToLower(id.String()), "age-secret-key-")
	if err != nil {
		return nil, err
	}
	priv, err := ecdh.X25519().NewPrivateKey(scalar)
	clear(buf[:])
	if err != nil {
		return nil, err
	}
	k := &x25519Identity{priv: priv}
	copy(k.pub[:], priv.PublicKey().Bytes())
	return k, nil
}

// Unwrap implements [age.Identity] exactly as age's X25519Identity does:
// it tries the stanzas in order, skips those of another type or that do
// not open, and fails on a malformed X25519 stanza.
func (k *x25519Identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		key, err := k.unwrap(s)
		if errors.Is(err, age.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, age.ErrIncorrectIdentity
}

func (k *x25519Identity) unwrap(s *age.Stanza) ([]byte, error) {
	if s.Type != x25519StanzaType {
		return nil, age.ErrIncorrectIdentity
	}
	if len(s.Args) != 1 {
		return nil, errors.New("invalid X25519 recipient block")
	}
	var eph [x25519KeySize]byte
	arg := s.Args[0]
	if len(arg) != b64.EncodedLen(x25519KeySize) {
		return nil, errors.New("invalid X25519 recipient block: ephemeral key is not 32 bytes")
	}
	if _, err := b64.Decode(eph[:], []byte(arg)); err != nil {
		return nil, fmt.Errorf("invalid X25519 recipient block: ephemeral key: %v", err)
	}
	if len(s.Body) != fileKeySize+tagSize {
		return nil, errors.New("invalid X25519 recipient block: incorrect file key size")
	}
	wrapKey, err := k.wrappingKey(eph[:])
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(wrapKey[:])
	if err != nil {
		return nil, err
	}
	fileKey, err := aead.Open(make([]byte, 0, fileKeySize), zeroNonce[:], s.Body, nil)
	if err != nil {
		return nil, age.ErrIncorrectIdentity
	}
	return fileKey, nil
}

// wrappingKey derives the key that wraps the file key in a stanza with
// ephemeral public key eph.
func (k *x25519Identity) wrappingKey(eph []byte) ([32]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(eph)
	if err != nil {
		return [32]byte{}, fmt.Errorf("invalid X25519 recipient: %w", err)
	}
	shared, err := k.priv.ECDH(pub) // refuses a low-order point, as age does
	if err != nil {
		return [32]byte{}, fmt.Errorf("invalid X25519 recipient: %w", err)
	}
	var salt [2 * x25519KeySize]byte
	copy(salt[copy(salt[:], eph):], k.pub[:])
	return hkdfSHA256(shared, salt[:], x25519Label), nil
}

// x25519Identities caches the ecdh form of every *age.X25519Identity that
// has been used to open something, for as long as that identity is alive:
// a node opens everything with the same identity, and building the ecdh
// key costs a scalar multiplication. Keys are weak pointers; a cleanup
// removes the entry when the identity is collected.
var x25519Identities sync.Map // weak.Pointer[age.X25519Identity] -> *x25519Identity

// fastIdentity returns the cached ecdh form of id when id is an
// *age.X25519Identity, and id itself otherwise (or if it cannot be built).
func fastIdentity(id age.Identity) age.Identity {
	x, ok := id.(*age.X25519Identity)
	if !ok || x == nil {
		return id
	}
	k, err := fastX25519(x)
	if err != nil {
		return id
	}
	return k
}

// fastX25519 returns the cached ecdh form of x, building it on first use.
func fastX25519(x *age.X25519Identity) (*x25519Identity, error) {
	wp := weak.Make(x)
	if k, ok := x25519Identities.Load(wp); ok {
		return k.(*x25519Identity), nil
	}
	k, err := newX25519Identity(x)
	if err != nil {
		return nil, err
	}
	if prev, loaded := x25519Identities.LoadOrStore(wp, k); loaded {
		return prev.(*x25519Identity), nil
	}
	runtime.AddCleanup(x, func(wp weak.Pointer[age.X25519Identity]) { x25519Identities.Delete(wp) }, wp)
	return k, nil
}
