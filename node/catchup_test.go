package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// publishN publishes n notices from a to the audience.
func publishN(t testing.TB, a *Node, n int, to ...string) {
	t.Helper()
	body := noticeBy(t, a.Participant())
	for i := 0; i < n; i++ {
		if _, err := a.Publish(context.Background(), "notice", body, to); err != nil {
			t.Fatalf("publish %d: %v", i+1, err)
		}
	}
}

// appendN appends n entries to a's feed that share one sealed record:
// real signed, chained entries without n age encryptions, so that tests
// can build long feeds quickly.
func appendN(t *testing.T, a *Node, n int, to ...string) {
	t.Helper()
	var body bytes.Buffer
	json.Compact(&body, notice(t))
	audience, rcpts, err := a.resolveAudience(to)
	if err != nil {
		t.Fatal(err)
	}
	ct, commitment, err := protocol.SealRecord(body.Bytes(), append(rcpts, a.self.Seal))
	if err != nil {
		t.Fatal(err)
	}
	d := protocol.Draft{Type: "notice", Audience: audience, Commitment: commitment, Ciphertext: ct}
	for i := 0; i < n; i++ {
		if _, err := a.appendOwn(d, &store.Record{Type: "notice", Body: body.Bytes()}); err != nil {
			t.Fatalf("append %d: %v", i+1, err)
		}
	}
}

// verified checks that n's store verifies clean.
func verified(t *testing.T, n *Node) {
	t.Helper()
	rep, err := n.Verify(context.Background())
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("verify %s: %v %+v", n.Participant(), err, rep.Problems)
	}
}

// TestOfflineCatchUp: B is stopped while A appends 10,000 entries; when B
// comes back it holds all of them, in order, verified.
func TestOfflineCatchUp(t *testing.T) {
	const total = 10000
	// A never restarts: an in-memory store spares the test an fsync per
	// published entry.
	a, b := &fixture{t: t, n: testNode(t, "IN")}, newFixture(t, "BE")
	b.start()
	c, _ := a.n.Card()
	a.card = c.Bytes()
	pinBoth(t, a, b)
	publishN(t, a.n, 3, "BE")
	eventually(t, 30*time.Second, "B has the first entries", func() error { return holds(b.n, "IN", 3) })
	b.stop()
	appendN(t, a.n, total-3, "BE")
	start := time.Now()
	b.start()
	catchesUp(t, b.n, "IN", total, 30*time.Second)
	t.Logf("B caught up on %d entries in %s", total-3, time.Since(start))
	verified(t, b.n)
	eventually(t, 30*time.Second, "A gets B's receipt", func() error { return receipted(a.n, "BE", total) })
}

// catchesUp polls until reader holds author's feed up to seq, failing
// once the feed's head has not moved for stall. The deadline is on
// progress, not on the whole catch-up, whose length is the machine's:
// under the race detector and CPU load 10,000 entries took 87 s of a
// 120 s deadline, and 2,000 in 100-entry sessions 50 s of 60.
func catchesUp(t *testing.T, reader *Node, author string, seq uint64, stall time.Duration) {
	t.Helper()
	key, err := reader.authorKey(author)
	if err != nil {
		t.Fatal(err)
	}
	var head uint64
	moved := time.Now()
	for {
		h, err := reader.st.Head(key)
		if err != nil {
			t.Fatal(err)
		}
		if h.Seq > head {
			head, moved = h.Seq, time.Now()
		}
		// The head is cheap to read; holds reads the whole feed (under
		// load, seconds for 10,000 entries), so only once it is reached.
		if h.Seq >= seq {
			if err = holds(reader, author, seq); err == nil {
				return
			}
		}
		if time.Since(moved) > stall {
			if err == nil {
				err = fmt.Errorf("head at %d of %d", h.Seq, seq)
			}
			t.Fatalf("%s catching up on %s: stalled for %s: %v", reader.Participant(), author, stall, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// receipted checks that author holds partner's receipt for seq.
func receipted(author *Node, partner string, seq uint64) error {
	s, err := author.Status()
	if err != nil {
		return err
	}
	for _, p := range s.Partners {
		if p.Code == partner {
			if p.Receipt != seq || p.Undelivered != 0 {
				return fmt.Errorf("partner %s receipt %d undelivered %d, want %d and 0", partner, p.Receipt, p.Undelivered, seq)
			}
			return nil
		}
	}
	return fmt.Errorf("no partner %s", partner)
}

// TestRelayWhileAuthorOffline: A publishes while C is offline and then
// stops; C comes up and gets A's entries from B.
func TestRelayWhileAuthorOffline(t *testing.T) {
	a, b, c := newFixture(t, "IN"), newFixture(t, "BE"), newFixture(t, "AE")
	a.start()
	b.start()
	c.start()
	pinBoth(t, a, b)
	pinBoth(t, a, c)
	pinBoth(t, b, c)
	c.stop()
	publishN(t, a.n, 20, "all")
	eventually(t, 30*time.Second, "B has A's feed", func() error { return holds(b.n, "IN", 20) })
	a.stop()
	c.start()
	eventually(t, 60*time.Second, "C gets A's feed from B", func() error { return holds(c.n, "IN", 20) })
	verified(t, c.n)
}

// TestCatchUpAcrossServingLimits: a partner that needs more than the
// responder serves in one session (serveLimits) gets the rest in the
// sessions that follow at once, not one sync interval (30 s) apart.
func TestCatchUpAcrossServingLimits(t *testing.T) {
	const total = 2000
	a := testNodeWith(t, "IN", func(n *Node) {
		n.ex.Tune(exchange.Tuning{ServeWantEntries: 100,
			ServeSessionBytes: 128 << 10}) // about 100 entries
	})
	b := testNode(t, "BE")
	pin(t, a, b) // B refuses A until it pins A
	appendN(t, a, total, "BE")
	eventually(t, 30*time.Second, "A's pushes done (to nobody)", func() error {
		if q := a.ex.PushesQueued(); q > 0 {
			return fmt.Errorf("%d entries to push", q)
		}
		return nil
	})
	busy := countersOf(a)
	start := time.Now()
	pin(t, b, a)
	connectAll(t, a, b)
	// Sessions one sync interval apart would stall the feed for 30 s.
	catchesUp(t, b, "IN", total, 20*time.Second)
	sessions := busy.of("sync_serve_busy")
	t.Logf("B caught up on %d entries in %s; %d sessions ended at the session limit", total, time.Since(start), sessions)
	if sessions < 5 {
		t.Fatalf("%d sessions ended at the limit: the limit did not apply", sessions)
	}
	verified(t, b)
}
