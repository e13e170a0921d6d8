package crypto

import (
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// BatchVerifier checks many signatures of one domain at once, under the
// rule [Verify] applies to each (ZIP-215, keys of small order refused), so
// that a batch accepts exactly when every one of its signatures verifies
// on its own (except with probability 2^-128 per batch, from the random
// coefficients).
//
// The equation is ed25519consensus's batch equation,
//
//	[8]( [-Σ z_i s_i]B + Σ [z_i]R_i + Σ_A [Σ_{i: A_i = A} z_i k_i]A ) = 0,
//
// with the terms of each distinct key A gathered into one: the signatures
// of a feed share their author's key, so a batch of n entries of one feed
// is a multi-scalar multiplication of n+2 points rather than 2n+1, and
// the key is decompressed once.
//
// A BatchVerifier is not safe for concurrent use; the zero value is ready
// to use for one batch.
type BatchVerifier struct {
	domain   string
	keyAt    map[PublicKey]int // index in keys of each key met
	keys     []PublicKey
	keyCoefs []edwards25519.Scalar // Σ z_i k_i per key, in keys' order
	rs       [][32]byte            // each signature's R, in Add order
	zs       []edwards25519.Scalar // each signature's random z_i
	bCoef    edwards25519.Scalar   // Σ z_i s_i
	bad      bool                  // a signature failed a check Add makes
}

// NewBatchVerifier returns a verifier for signatures made for domain,
// sized for about n of them.
func NewBatchVerifier(domain string, n int) *BatchVerifier {
	return &BatchVerifier{
		domain: domain,
		keyAt:  map[PublicKey]int{},
		rs:     make([][32]byte, 0, n),
		zs:     make([]edwards25519.Scalar, 0, n),
	}
}

// Add adds pub's signature sig of domain || 0x00 || msg to the batch. It
// retains no reference to its arguments.
func (v *BatchVerifier) Add(pub PublicKey, msg, sig []byte) {
	if v.bad {
		return
	}
	if len(sig) != SignatureSize {
		v.bad = true
		return
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
		v.bad = true // s ≥ ℓ: refused as Verify refuses it
		return
	}
	z := randomCoefficient()
	k := challenge(pub, v.domain, msg, sig)
	v.bCoef.MultiplyAdd(&z, s, &v.bCoef)
	coef := v.keyCoef(pub)
	coef.MultiplyAdd(&z, k, coef)
	v.rs = append(v.rs, [32]byte(sig[:32]))
	v.zs = append(v.zs, z)
}

// keyCoef returns the accumulated coefficient of pub, adding pub to the
// batch's keys the first time.
func (v *BatchVerifier) keyCoef(pub PublicKey) *edwards25519.Scalar {
	i, ok := v.keyAt[pub]
	if !ok {
		i = len(v.keys)
		v.keyAt[pub] = i
		v.keys = append(v.keys, pub)
		v.keyCoefs = append(v.keyCoefs, edwards25519.Scalar{})
	}
	return &v.keyCoefs[i]
}

// Len returns how many signatures were added.
func (v *BatchVerifier) Len() int { return len(v.zs) }

// Verify reports whether every signature added verifies. When it reports
// false, which one failed is unknown: check each with [Verify]. An empty
// batch verifies.
func (v *BatchVerifier) Verify() bool {
	if v.bad {
		return false
	}
	if len(v.zs) == 0 {
		return true
	}
	n := 1 + len(v.keys) + len(v.zs)
	scalars := make([]*edwards25519.Scalar, 0, n)
	points := make([]*edwards25519.Point, 0, n)
	minusB := new(edwards25519.Scalar).Negate(&v.bCoef)
	scalars = append(scalars, minusB)
	points = append(points, edwards25519.NewGeneratorPoint())
	pts := make([]edwards25519.Point, len(v.keys)+len(v.zs))
	for i := range v.keys {
		if _, err := pts[i].SetBytes(v.keys[i][:]); err != nil || smallOrder(&pts[i]) {
			return false // refused as Verify refuses it: see weakKey
		}
		scalars, points = append(scalars, &v.keyCoefs[i]), append(points, &pts[i])
	}
	for i := range v.zs {
		p := &pts[len(v.keys)+i]
		if _, err := p.SetBytes(v.rs[i][:]); err != nil {
			return false
		}
		scalars, points = append(scalars, &v.zs[i]), append(points, p)
	}
	check := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
	check.MultByCofactor(check)
	return check.Equal(edwards25519.NewIdentityPoint()) == 1
}

// randomCoefficient returns a uniformly random 128-bit scalar z_i.
func randomCoefficient() edwards25519.Scalar {
	var buf [32]byte
	if _, err := rand.Read(buf[:16]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // crypto/rand.Read never fails on supported platforms
	}
	var z edwards25519.Scalar
	if _, err := z.SetCanonicalBytes(buf[:]); err != nil {
		panic("unreachable: a 128-bit value is a canonical scalar")
	}
	return z
}

// challenge returns k = SHA-512(R || A || domain || 0x00 || msg) mod ℓ,
// the scalar that the signature equation multiplies the key by.
func challenge(pub PublicKey, domain string, msg, sig []byte) *edwards25519.Scalar {
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(pub[:])
	h.Write([]byte(domain))
	h.Write([]byte{0})
	h.Write(msg)
	var digest [64]byte
	k, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	if err != nil {
		panic("unreachable: SHA-512 output is 64 bytes")
	}
	return k
}
