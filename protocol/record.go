package protocol

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"

	"filippo.io/age"

	"github.com/kpnode/kpnode/crypto"
)

// RecordVersion is the first byte of every sealed record payload.
const RecordVersion = 1

// SaltSize is the size of the random salt sealed with each record.
const SaltSize = 32

// SealRecord seals a record body for recipients and commits to it. The
// plaintext inside the age ciphertext is RecordVersion || salt || body with a
// fresh random salt; the commitment is [Commit] of salt and body and belongs
// in the entry's Commitment field. Callers include the author among the
// recipients so that it can read its own feed back.
func SealRecord(body []byte, recipients []age.Recipient) (ciphertext []byte, commitment Hash, err error) {
	ciphertext, commitment, _, err = SealRecordSalted(body, recipients)
	return ciphertext, commitment, err
}

// SealRecordSalted is [SealRecord] that also returns the fresh salt, so
// that the author can keep it and later hand out an [EvidenceBundle]
// without decrypting its own entry again.
func SealRecordSalted(body []byte, recipients []age.Recipient) (ciphertext []byte, commitment Hash, salt [SaltSize]byte, err error) {
	if len(body) > MaxEntrySize {
		return nil, Hash{}, salt, fmt.Errorf("seal record: %w: body of %d bytes", ErrTooLarge, len(body))
	}
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, Hash{}, salt, fmt.Errorf("seal record: %w", err)
	}
	plain := make([]byte, 0, 1+SaltSize+len(body))
	plain = append(plain, RecordVersion)
	plain = append(plain, salt[:]...)
	plain = append(plain, body...)
	ct, err := crypto.Seal(plain, recipients)
	if err != nil {
		return nil, Hash{}, [SaltSize]byte{}, fmt.Errorf("seal record: %w", err)
	}
	return ct, Commit(salt, body), salt, nil
}

// OpenRecord decrypts e's record with id and checks it against e's
// commitment. It refuses ciphertexts with more recipient stanzas than
// len(e.Audience)+1 ([ErrTooManyStanzas]) and returns [ErrNotRecipient] when
// id cannot open it, [ErrVersion] for an unknown payload version and
// [ErrCommitment] when salt and body do not match the signed commitment.
func OpenRecord(e *Entry, id age.Identity) (body []byte, salt [SaltSize]byte, err error) {
	plain, err := crypto.Open(e.Ciphertext, id, len(e.Audience)+1)
	if err != nil {
		return nil, salt, fmt.Errorf("open record: %w", err)
	}
	if len(plain) < 1+SaltSize {
		return nil, salt, fmt.Errorf("open record: %w: payload of %d bytes", ErrCommitment, len(plain))
	}
	if plain[0] != RecordVersion {
		return nil, salt, fmt.Errorf("open record: %w: payload version %d", ErrVersion, plain[0])
	}
	copy(salt[:], plain[1:])
	body = plain[1+SaltSize:]
	if err := CheckCommitment(e.Commitment, salt, body); err != nil {
		return nil, [SaltSize]byte{}, fmt.Errorf("open record: %w", err)
	}
	return body, salt, nil
}

// Commit returns SHA-256("kpnode/commitment/v1" || 0x00 || salt || body),
// the salted commitment an entry signs in place of its plaintext.
func Commit(salt [SaltSize]byte, body []byte) Hash {
	h := sha256.New()
	h.Write([]byte(crypto.DomainCommitment))
	h.Write([]byte{0})
	h.Write(salt[:])
	h.Write(body)
	return Hash(h.Sum(nil))
}

// CheckCommitment returns an error wrapping [ErrCommitment] unless salt and
// body hash to want.
func CheckCommitment(want Hash, salt [SaltSize]byte, body []byte) error {
	got := Commit(salt, body)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fmt.Errorf("%w: got %s, entry signs %s", ErrCommitment, got.Short(), want.Short())
	}
	return nil
}
