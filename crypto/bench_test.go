package crypto

import (
	"fmt"
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

// BenchmarkSealOpen1KiB is the record path: 1 KiB to one recipient.
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

// BenchmarkSeal1KiB compares, in one run, Seal (impl=kpnode) with the age
// library's streaming writer (impl=age) for 1 and 10 recipients.
func BenchmarkSeal1KiB(b *testing.B) {
	msg := make([]byte, 1024)
	for _, n := range []int{1, 10} {
		_, rcpts := benchAudience(b, n)
		for _, impl := range []struct {
			name string
			seal func([]byte, []age.Recipient) ([]byte, error)
		}{{"kpnode", Seal}, {"age", sealStream}} {
			b.Run(fmt.Sprintf("r=%d/impl=%s", n, impl.name), func(b *testing.B) {
				for b.Loop() {
					if _, err := impl.seal(msg, rcpts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkOpen1KiB compares, in one run, OpenHint (impl=kpnode) with the
// former age.Decrypt path (impl=age) for 1 and 10 recipients. The reader is
// the last recipient and passes its position as the hint, as a node does,
// so each open does one X25519 in both.
func BenchmarkOpen1KiB(b *testing.B) {
	msg := make([]byte, 1024)
	for _, n := range []int{1, 10} {
		ids, rcpts := benchAudience(b, n)
		ct, err := Seal(msg, rcpts)
		if err != nil {
			b.Fatal(err)
		}
		reader := ids[n-1].AgeIdentity()
		for _, impl := range []struct {
			name string
			open func([]byte, age.Identity, int, int) ([]byte, error)
		}{{"kpnode", OpenHint}, {"age", openWithAge}} {
			b.Run(fmt.Sprintf("r=%d/impl=%s", n, impl.name), func(b *testing.B) {
				for b.Loop() {
					if _, err := impl.open(ct, reader, n, n-1); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func benchAudience(tb testing.TB, n int) ([]*Identity, []age.Recipient) {
	ids := make([]*Identity, n)
	rcpts := make([]age.Recipient, n)
	for i := range ids {
		ids[i] = mustIdentity(tb)
		rcpts[i] = ids[i].Recipient()
	}
	return ids, rcpts
}
