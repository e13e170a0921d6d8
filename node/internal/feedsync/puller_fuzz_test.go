package feedsync

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/protocol"
)

// FuzzPullFrames drives the puller, the sync state machine of a pull
// session, with whatever frames a partner might send, read from the input
// exactly as exchange.Service.pull reads them (length-prefixed, decoded, receipts
// verified). Entries are taken at their peeked author and seq and counted
// as stored, as ingestBatch does once they verify. It checks that the
// puller never panics, that every want asks only for accepted feeds, from
// just after the local head, up to the partner's head and at most
// MaxRange entries, that it accepts an entry only in order and inside
// what it asked for, and that a session it ended stays ended.
func FuzzPullFrames(f *testing.F) {
	partner, err := crypto.NewIdentity()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range pullSeeds(f, partner) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		runPullFuzz(t, data)
	})
}

// errMalformed ends a fuzzed session on an entry too short to peek, as
// exchange.Service.pull does.
var errMalformed = errors.New("malformed entry")

// Feeds of the fuzzed session: A and B are pulled (A already held up to 2),
// C is not.
var fuzzFeedA, fuzzFeedB, fuzzFeedC = feedKey("A"), feedKey("B"), feedKey("C")

func runPullFuzz(t *testing.T, data []byte) {
	local := map[crypto.PublicKey]uint64{fuzzFeedA: 2}
	m := New(local, func(k crypto.PublicKey) bool { return k != fuzzFeedC })
	r := bytes.NewReader(data)
	f, err := protocol.ReadFrame(r)
	h, ok := f.(*protocol.Hello)
	if err != nil || !ok {
		return // exchange.Service.pull ends here: want a hello frame
	}
	remote := map[crypto.PublicKey]uint64{}
	for _, rc := range h.Receipts {
		remote[rc.Feed] = rc.Seq
	}
	step := m.Hello(maps.Clone(remote))
	for step.Err == nil && !step.Finish {
		checkWant(t, step.Want, local, remote)
		if step = fuzzRound(t, r, m, local); step.Err != nil || step.Finish {
			break
		}
	}
	if next := m.End(); next.Err == nil {
		t.Fatalf("an ended session took an end frame: %+v", next)
	}
}

// fuzzRound reads frames until the puller's next step, as receiveRound.
func fuzzRound(t *testing.T, r *bytes.Reader, m *Puller, local map[crypto.PublicKey]uint64) Step {
	for {
		f, err := protocol.ReadFrame(r)
		if err != nil {
			return m.Fail(err)
		}
		switch f := f.(type) {
		case *protocol.Entries:
			if err := fuzzEntries(t, m, local, f.Entries); err != nil {
				return m.Fail(err)
			}
		case *protocol.End:
			return m.End()
		default:
			return m.Frame(f)
		}
	}
}

func fuzzEntries(t *testing.T, m *Puller, local map[crypto.PublicKey]uint64, raws [][]byte) error {
	for _, raw := range raws {
		feed, seq, ok := ingest.PeekEntry(raw)
		if !ok {
			return errMalformed
		}
		asked, before := m.asked[feed], local[feed]
		if err := m.Entry(feed, seq); err != nil {
			return err
		}
		if seq != before+1 || seq < asked.From || seq > asked.To {
			t.Fatalf("entry %s %d accepted: held %d, asked %+v", feedName(feed), seq, before, asked)
		}
		m.Stored(feed, seq, true)
	}
	return nil
}

func checkWant(t *testing.T, want []protocol.Range, local, remote map[crypto.PublicKey]uint64) {
	if len(want) == 0 || len(want) > protocol.MaxWantRanges {
		t.Fatalf("a want of %d ranges", len(want))
	}
	if !slices.IsSortedFunc(want, func(a, b protocol.Range) int { return bytes.Compare(a.Feed[:], b.Feed[:]) }) {
		t.Fatalf("want not sorted by feed: %+v", want)
	}
	for _, rg := range want {
		switch {
		case rg.Feed == fuzzFeedC:
			t.Fatalf("want asks for a feed not accepted: %+v", rg)
		case rg.From != local[rg.Feed]+1 || rg.To < rg.From || rg.To > remote[rg.Feed]:
			t.Fatalf("range %+v: held %d, partner has %d", rg, local[rg.Feed], remote[rg.Feed])
		case rg.To-rg.From >= MaxRange:
			t.Fatalf("range %+v longer than %d", rg, MaxRange)
		}
	}
}

// pullSeeds are whole sessions a partner might send: a hello, then entries
// and end frames, well formed, out of order, or cut short.
func pullSeeds(tb testing.TB, partner *crypto.Identity) [][]byte {
	hello := fuzzHello(tb, partner, map[crypto.PublicKey]uint64{fuzzFeedA: 5, fuzzFeedB: 3, fuzzFeedC: 9})
	end := fuzzFrame(tb, &protocol.End{})
	good := fuzzFrame(tb, &protocol.Entries{Entries: [][]byte{rawEntry(fuzzFeedA, 3), rawEntry(fuzzFeedA, 4), rawEntry(fuzzFeedA, 5)}})
	goodB := fuzzFrame(tb, &protocol.Entries{Entries: [][]byte{rawEntry(fuzzFeedB, 1), rawEntry(fuzzFeedB, 2), rawEntry(fuzzFeedB, 3)}})
	big := fuzzHello(tb, partner, map[crypto.PublicKey]uint64{fuzzFeedA: 5000})
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	return [][]byte{
		cat(hello, good, goodB, end, end),
		cat(hello, goodB, good, end, fuzzFrame(tb, &protocol.Want{}), end),
		cat(hello, fuzzFrame(tb, &protocol.Entries{Entries: [][]byte{rawEntry(fuzzFeedA, 4)}}), end),
		cat(hello, fuzzFrame(tb, &protocol.Entries{Entries: [][]byte{rawEntry(fuzzFeedC, 1)}}), end),
		cat(hello, end, good),
		cat(hello, hello),
		cat(hello, fuzzFrame(tb, protocol.NewSyncError(protocol.SyncCodeProtocol, "no"))),
		cat(big, fuzzFrame(tb, &protocol.Entries{Entries: [][]byte{rawEntry(fuzzFeedA, 3)}}), end, end),
		cat(hello, good[:len(good)/2]),
		hello,
		{},
	}
}

func fuzzHello(tb testing.TB, partner *crypto.Identity, heads map[crypto.PublicKey]uint64) []byte {
	var h protocol.Hello
	for _, feed := range slices.SortedFunc(maps.Keys(heads), func(a, b crypto.PublicKey) int { return bytes.Compare(a[:], b[:]) }) {
		r, err := protocol.NewReceipt(partner, feed, heads[feed], protocol.Hash{1}, time.Unix(1_800_000_000, 0))
		if err != nil {
			tb.Fatal(err)
		}
		h.Receipts = append(h.Receipts, r)
	}
	return fuzzFrame(tb, &h)
}

func fuzzFrame(tb testing.TB, f protocol.Frame) []byte {
	var b bytes.Buffer
	if err := protocol.WriteFrame(&b, f); err != nil {
		tb.Fatal(fmt.Errorf("encode %T: %w", f, err))
	}
	return b.Bytes()
}

// rawEntry is an entry-sized blob with author and seq at their offsets:
// all the puller looks at.
func rawEntry(feed crypto.PublicKey, seq uint64) []byte {
	b := make([]byte, protocol.MinEntrySize)
	copy(b[1:33], feed[:])
	binary.BigEndian.PutUint64(b[33:41], seq)
	return b
}
