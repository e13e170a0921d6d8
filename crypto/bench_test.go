package crypto

import (
	"testing"

	"filippo.io/age"
)

func BenchmarkSign(b *testing.B) {
	id := mustIdentity(b)
	msg := make([]byte, 1024)
	for b.Loop() {
		id.Sign(DomainEntry, msg)
	}
}

func BenchmarkVerify(b *testing.B) {
	id := mustIdentity(b)
	msg := make([]byte, 1024)
	sig := id.Sign(DomainEntry, msg)
	for b.Loop() {
		Verify(DomainEntry, id.Public(), msg, sig)
	}
}

func BenchmarkSealOpen1KiB(b *testing.B) {
	id := mustIdentity(b)
	msg := make([]byte, 1024)
	rcpts := []age.Recipient{id.Recipient()}
	b.Run("seal", func(b *testing.B) {
		for b.Loop() {
			if _, err := Seal(msg, rcpts); err != nil {
				b.Fatal(err)
			}
		}
	})
	ct, _ := Seal(msg, rcpts)
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			if _, err := Open(ct, id.AgeIdentity(), 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
