package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"

	"filippo.io/age"
)

// Identity is a node's pair of private keys: the Ed25519 key that signs its
// feed and cards (and is its libp2p peer key), and the age X25519 identity
// that opens what partners seal to it. It is immutable and redacts itself
// when printed or logged.
type Identity struct {
	sign ed25519.PrivateKey
	box  *age.X25519Identity
	pub  PublicKey
}

// NewIdentity generates a fresh identity from crypto/rand.
func NewIdentity() (*Identity, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ed25519 key: %w", err)
	}
	box, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("generate age identity: %w", err)
	}
	return newIdentity(priv, box), nil
}

// IdentityFromKeys builds an identity from a 32-byte Ed25519 seed and an age
// secret key string ("AGE-SECRET-KEY-1…"). Test vectors use it to get
// deterministic identities.
func IdentityFromKeys(seed []byte, ageSecret string) (*Identity, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: ed25519 seed is %d bytes, want %d", ErrMalformedKeyFile, len(seed), ed25519.SeedSize)
	}
	box, err := age.ParseX25519Identity(ageSecret)
	if err != nil {
		return nil, fmt.Errorf("%w: age secret key: %v", ErrMalformedKeyFile, err)
	}
	return newIdentity(ed25519.NewKeyFromSeed(seed), box), nil
}

func newIdentity(priv ed25519.PrivateKey, box *age.X25519Identity) *Identity {
	id := &Identity{sign: priv, box: box}
	copy(id.pub[:], priv.Public().(ed25519.PublicKey))
	return id
}

// Public returns the Ed25519 public key.
func (id *Identity) Public() PublicKey { return id.pub }

// Fingerprint returns the short human fingerprint of the public key.
func (id *Identity) Fingerprint() string { return id.pub.Fingerprint() }

// PeerID returns the libp2p peer ID of the identity.
func (id *Identity) PeerID() string { return id.pub.PeerID() }

// Sign signs domain || 0x00 || msg and returns the 64-byte signature.
func (id *Identity) Sign(domain string, msg []byte) []byte {
	return ed25519.Sign(id.sign, signedMessage(domain, msg))
}

// Recipient returns the age recipient partners seal records to.
func (id *Identity) Recipient() *age.X25519Recipient { return id.box.Recipient() }

// AgeIdentity returns the age identity that opens records sealed to
// [Identity.Recipient].
func (id *Identity) AgeIdentity() *age.X25519Identity { return id.box }

// Ed25519 returns the private signing key, for the libp2p host. The caller
// must not log or store it.
func (id *Identity) Ed25519() ed25519.PrivateKey { return id.sign }

// String returns a redacted description naming only the fingerprint.
func (id *Identity) String() string { return "identity " + id.Fingerprint() + " " + Redacted }

// GoString is [Identity.String].
func (id *Identity) GoString() string { return id.String() }

// Format writes [Identity.String] whatever the verb, so %v, %+v and %#v never
// print key material.
func (id *Identity) Format(f fmt.State, _ rune) { fmt.Fprint(f, id.String()) }

// LogValue logs the fingerprint only.
func (id *Identity) LogValue() slog.Value {
	return slog.GroupValue(slog.String("fingerprint", id.Fingerprint()), slog.String("keys", Redacted))
}

const keyFileHeader = "kpnode-identity-v1"

// marshal returns the plaintext key file body.
func (id *Identity) marshal() []byte {
	var b strings.Builder
	b.WriteString("# kpnode node identity: keep this file secret (mode 0600)\n")
	b.WriteString("# fingerprint " + id.Fingerprint() + "\n")
	b.WriteString(keyFileHeader + "\n")
	b.WriteString("ed25519 " + base64.StdEncoding.EncodeToString(id.sign.Seed()) + "\n")
	b.WriteString("age " + id.box.String() + "\n")
	return []byte(b.String())
}

// ParseIdentity decodes a plaintext key file body as written by
// [WriteKeyFile] without a passphrase.
func ParseIdentity(body []byte) (*Identity, error) {
	fields := map[string]string{}
	sawHeader := false
	for n, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case line == keyFileHeader:
			sawHeader = true
		default:
			k, v, ok := strings.Cut(line, " ")
			if !ok || !sawHeader {
				return nil, fmt.Errorf("%w: line %d: unexpected %q", ErrMalformedKeyFile, n+1, firstWord(line))
			}
			fields[k] = v
		}
	}
	return identityFromFields(sawHeader, fields)
}

func identityFromFields(sawHeader bool, fields map[string]string) (*Identity, error) {
	if !sawHeader {
		return nil, fmt.Errorf("%w: missing %q header", ErrMalformedKeyFile, keyFileHeader)
	}
	for _, k := range []string{"ed25519", "age"} {
		if fields[k] == "" {
			return nil, fmt.Errorf("%w: missing %q key (file truncated?)", ErrMalformedKeyFile, k)
		}
	}
	seed, err := base64.StdEncoding.DecodeString(fields["ed25519"])
	if err != nil {
		return nil, fmt.Errorf("%w: ed25519 key is not base64 (file truncated?)", ErrMalformedKeyFile)
	}
	return IdentityFromKeys(seed, fields["age"])
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	if len(w) > 24 {
		w = w[:24] + "…"
	}
	return w
}
