package crypto

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"

	"filippo.io/edwards25519"
	"github.com/hdevalence/ed25519consensus"
	lpcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Signature domains. Every signature kpnode makes covers
// domain || 0x00 || message, so a signature made for one purpose can never be
// replayed as another.
const (
	DomainEntry      = "kpnode/entry/v1"
	DomainCard       = "kpnode/card/v1"
	DomainReceipt    = "kpnode/receipt/v1"
	DomainCommitment = "kpnode/commitment/v1"
)

// SignatureSize is the size of an Ed25519 signature in bytes.
const SignatureSize = ed25519.SignatureSize

// PublicKey is an Ed25519 public key: a node's signing key and, through
// libp2p, its peer ID.
type PublicKey [ed25519.PublicKeySize]byte

// String returns the key in standard base64.
func (k PublicKey) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// ParsePublicKey decodes a key written by [PublicKey.String].
func ParsePublicKey(s string) (PublicKey, error) {
	var k PublicKey
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, fmt.Errorf("%w: want base64 of %d bytes", ErrBadPublicKey, len(k))
	}
	copy(k[:], b)
	return k, nil
}

var fingerprintEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Fingerprint returns a short human fingerprint of the key, five groups of
// four base32 characters (100 bits of SHA-256), for operators to read to each
// other when they exchange cards.
func (k PublicKey) Fingerprint() string {
	sum := sha256.Sum256(k[:])
	s := fingerprintEncoding.EncodeToString(sum[:])[:20]
	groups := make([]string, 0, 5)
	for i := 0; i < len(s); i += 4 {
		groups = append(groups, s[i:i+4])
	}
	return strings.Join(groups, "-")
}

// PeerID returns the libp2p peer ID derived from the key ("12D3KooW…").
func (k PublicKey) PeerID() string {
	pub, err := lpcrypto.UnmarshalEd25519PublicKey(k[:])
	if err != nil {
		return "" // unreachable: every 32-byte string is an Ed25519 key encoding
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		return ""
	}
	return id.String()
}

// PublicKeyFromPeerID extracts the Ed25519 key inlined in a libp2p peer ID.
func PublicKeyFromPeerID(s string) (PublicKey, error) {
	var k PublicKey
	id, err := peer.Decode(s)
	if err != nil {
		return k, fmt.Errorf("%w: peer id %q: %v", ErrBadPublicKey, s, err)
	}
	pub, err := id.ExtractPublicKey()
	if err != nil || pub.Type() != lpcrypto.Ed25519 {
		return k, fmt.Errorf("%w: peer id %q does not hold an Ed25519 key", ErrBadPublicKey, s)
	}
	raw, err := pub.Raw()
	if err != nil || len(raw) != len(k) {
		return k, fmt.Errorf("%w: peer id %q", ErrBadPublicKey, s)
	}
	copy(k[:], raw)
	return k, nil
}

// Verify reports whether sig is pub's signature of domain || 0x00 || msg
// under the ZIP-215 rules (ed25519consensus): s must be canonical (< ℓ),
// the key and R may be any encoding that decompresses to a curve point,
// canonical or not, and the equation is checked with the cofactor,
// [8][s]B = [8]R + [8][k]A. Every signature that crypto/ed25519 (RFC 8032,
// cofactorless) accepts is accepted; what it refuses besides is only what
// an honest signer never makes (small-order components, non-canonical
// point encodings). One thing ZIP-215 accepts is refused besides: a key of
// small order ([8]A the identity, see [weakKey]), for which anyone can
// make a signature that verifies on any message. [BatchVerifier] applies
// the same rule to many at once, so a signature's verdict never depends
// on how it is checked.
func Verify(domain string, pub PublicKey, msg, sig []byte) bool {
	if len(sig) != SignatureSize || weakKey(pub) {
		return false
	}
	return ed25519consensus.Verify(pub[:], signedMessage(domain, msg), sig)
}

// weakKey reports whether pub does not decode to a curve point or decodes
// to one of small order: [8]A is the identity, so that with R of small
// order and s = 0 the cofactored equation holds on every message. No key
// an honest signer generates is weak.
func weakKey(pub PublicKey) bool {
	A, err := new(edwards25519.Point).SetBytes(pub[:])
	return err != nil || smallOrder(A)
}

// smallOrder reports whether [8]p is the identity.
func smallOrder(p *edwards25519.Point) bool {
	q := new(edwards25519.Point).MultByCofactor(p)
	return q.Equal(edwards25519.NewIdentityPoint()) == 1
}

func signedMessage(domain string, msg []byte) []byte {
	m := make([]byte, 0, len(domain)+1+len(msg))
	m = append(m, domain...)
	m = append(m, 0)
	return append(m, msg...)
}
