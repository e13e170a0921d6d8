package node

import (
	"math"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
)

// catchUpFloors are the two single-threaded references of BenchmarkCatchUp,
// per entry, measured in the same run:
//
//   - naive: what a reader does with nothing but the libraries (issue 6,
//     item 2): one Ed25519 verify of the entry and one standard age.Decrypt
//     with its *age.X25519Identity of a record sealed by age.Encrypt to the
//     same audience with standard X25519 recipients (the reader's stanza
//     first, as a node seals), read to the end;
//   - own: what this node's reader did per entry before runs were
//     authenticated by their last signature (docs/protocol.md §2.4):
//     protocol.DecodeEntry (the signature check included) and
//     protocol.OpenRecord with the author's static-static identity.
type catchUpFloors struct {
	naive, own time.Duration
}

func (f catchUpFloors) lower(g catchUpFloors) catchUpFloors {
	return catchUpFloors{naive: min(f.naive, g.naive), own: min(f.own, g.own)}
}

func noFloors() catchUpFloors { return catchUpFloors{naive: math.MaxInt64, own: math.MaxInt64} }

// measureCatchUpFloors times both floors for an entry from author to reader.
func measureCatchUpFloors(tb testing.TB, author, reader *crypto.Identity, readerCode string, body []byte) catchUpFloors {
	return catchUpFloors{
		naive: naiveFloor(tb, author, reader, readerCode, body),
		own:   ownFloor(tb, author, reader, readerCode, body),
	}
}

// naiveFloor is the receiver's half of measureNaiveFloor.
func naiveFloor(tb testing.TB, author, reader *crypto.Identity, readerCode string, body []byte) time.Duration {
	return measureNaiveFloor(tb, author, reader, readerCode, body).receiver
}

// ownFloor is the receiver's half of measureFloor: decode (and verify) an
// entry sealed as Publish seals, and open it as ingest does.
func ownFloor(tb testing.TB, author, reader *crypto.Identity, readerCode string, body []byte) time.Duration {
	return measureFloor(tb, author, reader, readerCode, body).receiver
}

// staticRecipients are the recipients Publish seals to from author for an
// audience of reader: reader, then author itself.
func staticRecipients(tb testing.TB, author, reader *crypto.Identity) []age.Recipient {
	out := make([]age.Recipient, 0, 2)
	for _, to := range []*crypto.Identity{reader, author} {
		r, err := crypto.NewStaticRecipient(author.AgeIdentity(), to.Recipient())
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// reportCatchUp reports BenchmarkCatchUp's figures: the rate, the speed-up
// over the naive floor ("x_naive", the target is 3) and the rate as a
// percentage of the own floor on one core ("pct_of_floor").
func reportCatchUp(b *testing.B, f catchUpFloors, entries int, elapsed, used time.Duration) {
	perEntry := elapsed / time.Duration(entries)
	b.ReportMetric(float64(entries)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(float64(f.naive)/float64(perEntry), "x_naive")
	b.ReportMetric(100*float64(f.own)/float64(perEntry), "pct_of_floor")
	b.ReportMetric(float64(f.naive.Microseconds()), "naive_floor_us")
	b.ReportMetric(float64(f.own.Microseconds()), "receiver_floor_us")
	if used > 0 {
		b.ReportMetric(used.Seconds()/elapsed.Seconds(), "cpu_cores")
		b.ReportMetric(float64(used.Microseconds())/float64(entries), "cpu_us/entry")
	}
}
