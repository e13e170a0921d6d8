package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"github.com/kpnode/kpnode/node/internal/exchange"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/network"
)

// BenchmarkAttacks runs every attack of the hostile-peer suite once per
// iteration against a fresh victim (IN, with its honest partner BE), each
// from a fresh pinned attacker, and reports per attack the messages (or
// streams) sent, how many the victim refused (rejected or ignored, by its
// counters), how many of the attacker's entries it stored, and whether the
// attacker ended penalised (score under 0 or sync abuse charged). It also
// reports the heap and RSS growth and the honest partner's delivery latency
// under two floods of pushes (forged entries, which get the attacker
// graylisted, and validly signed entries far ahead of the head, which are
// ignored without penalty) and under slow-loris sync streams. The attacker
// runs in the same process: heap and RSS include its side. scripts/bench.sh
// turns the figures into the "Attacks (issue 8)" section of BENCHMARKS.md.
func BenchmarkAttacks(b *testing.B) {
	floodN, lorisN := 10000, 50
	if testing.Short() {
		floodN, lorisN = 1000, 10
	}
	sums := map[string]float64{}
	for range b.N {
		s := newAttackSuite(b)
		s.run(floodN, lorisN)
		for k, v := range s.metrics {
			sums[k] += v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(sums)) {
		b.ReportMetric(sums[k]/float64(b.N), k)
	}
}

// attackSuite is one victim under every attack.
type attackSuite struct {
	tb      testing.TB
	in, be  *Node
	codes   []string             // codes left for fresh attackers
	used    map[string]*attacker // attack name -> its attacker
	metrics map[string]float64
}

func newAttackSuite(tb testing.TB) *attackSuite {
	in := testNodeWith(tb, "IN", func(n *Node) { n.ex.Tune(exchange.Tuning{FrameTimeout: 2 * time.Second}) })
	be := testNode(tb, "BE")
	pin(tb, in, be)
	pin(tb, be, in)
	connectAll(tb, in, be)
	stillServed(tb, in, be, 1)
	return &attackSuite{tb: tb, in: in, be: be, used: map[string]*attacker{}, metrics: map[string]float64{},
		codes: []string{"AO", "AM", "AU", "BD", "BY", "BW", "BR", "KH", "CM", "CA", "CF", "CN", "CI", "CD", "CG", "SZ", "GA", "GH", "GN", "GY",
			"KR", "IL", "JP", "KZ", "LA", "LB", "LS", "LR", "MY", "MU"}}
}

// fresh returns a new attacker pinned by the victim and connected, used for
// attack name.
func (s *attackSuite) fresh(name string) *attacker {
	atk := newAttacker(s.tb)
	atk.pinnedBy(s.tb, s.in, s.codes[0])
	s.codes = s.codes[1:]
	s.used[name] = atk
	return atk
}

func (s *attackSuite) run(floodN, lorisN int) {
	s.gossipAttacks()
	s.syncAttacks()
	s.receiptAttacks()
	s.wantAttacks()
	s.floods(floodN)
	s.slowLoris(lorisN)
	s.penalties()
}

// record sets the figures of one attack.
func (s *attackSuite) record(name string, sent, refused, stored int) {
	s.metrics[name+"_sent"] = float64(sent)
	s.metrics[name+"_refused"] = float64(refused)
	s.metrics[name+"_stored"] = float64(stored)
}

// refusedBy waits until the counters named grew by want in total, and
// returns their growth.
func (s *attackSuite) refusedBy(d delta, want int, names ...string) int {
	got := 0
	eventually(s.tb, 30*time.Second, "the victim refuses the attack", func() error {
		got = 0
		for _, n := range names {
			got += int(d.of(n))
		}
		if got < want {
			return fmt.Errorf("%v grew by %d, want %d", names, got, want)
		}
		return nil
	})
	return got
}

// gossipAttack pushes msgs on the topic of the feed of author (the attacker's own
// when author is nil) and waits for the victim to refuse them all.
func (s *attackSuite) gossipAttack(name string, atk *attacker, onBE bool, msgs [][]byte, counters ...string) {
	topic := atk.id.Public()
	if onBE {
		topic = s.be.id.Public()
	}
	atk.reaches(s.tb, s.in, topic)
	d := countersOf(s.in)
	for _, m := range msgs {
		atk.publish(s.tb, topic, m)
	}
	refused := s.refusedBy(d, len(msgs), counters...)
	s.record(name, len(msgs), refused, int(d.of("entries_received")))
}

func (s *attackSuite) gossipAttacks() {
	toIN, aud := []age.Recipient{s.in.id.Recipient()}, []string{"IN"}

	atk := s.fresh("forged")
	s.gossipAttack("forged", atk, false, variants(atk.entry(s.tb, 1, protocol.Hash{}, aud, toIN, "f").Bytes(), 5), "rejected_malformed")

	atk = s.fresh("wrong_author")
	h, _ := s.in.st.Head(s.be.id.Public())
	var stolen [][]byte
	for i := range 5 {
		stolen = append(stolen, ownEntry(s.tb, s.be, h.Seq+1, h.Hash, strconv.Itoa(i)).Bytes())
	}
	s.gossipAttack("wrong_author", atk, false, stolen, "rejected_wrong_topic")

	s.replay(toIN, aud)

	atk = s.fresh("gap")
	var ahead [][]byte
	for i := range 5 {
		ahead = append(ahead, atk.entry(s.tb, 1_000_000+uint64(i), randomHash(), aud, toIN, "g").Bytes())
	}
	s.gossipAttack("gap", atk, false, ahead, "push_ignored")

	atk = s.fresh("equivocation")
	first := atk.entry(s.tb, 1, protocol.Hash{}, aud, toIN, "one")
	atk.reaches(s.tb, s.in, atk.id.Public())
	atk.publish(s.tb, atk.id.Public(), first.Bytes())
	eventually(s.tb, 20*time.Second, "the equivocator's first entry stored", func() error { return s.headOf(atk, 1) })
	s.gossipAttack("equivocation", atk, false, [][]byte{atk.entry(s.tb, 1, protocol.Hash{}, aud, toIN, "fork").Bytes()}, "rejected_equivocation")

	atk = s.fresh("stanzas")
	rcpts := append([]age.Recipient(nil), toIN...)
	for range 2000 {
		x, err := age.GenerateX25519Identity()
		if err != nil {
			s.tb.Fatal(err)
		}
		rcpts = append(rcpts, x.Recipient())
	}
	s.gossipAttack("stanzas", atk, false, [][]byte{atk.entry(s.tb, 1, protocol.Hash{}, aud, rcpts, "fat").Bytes()}, "unreadable")

	atk = s.fresh("foreign_author")
	forged := atk.recordEntry(s.tb, 1, protocol.Hash{}, protocol.CertificateType, []byte(forgedCertificate), aud, toIN)
	s.gossipAttack("foreign_author", atk, false, [][]byte{forged.Bytes()}, "foreign_author_records")

	atk = s.fresh("oversized")
	big := make([]byte, exchange.MaxPushSize+1)
	rand.Read(big)
	s.gossipAttack("oversized", atk, false, [][]byte{big}, "rejected_size")
}

// replay: the victim pulls the attacker's entries 1..3 by sync (so they
// are not in gossipsub's seen cache), then the attacker pushes them again.
func (s *attackSuite) replay(toIN []age.Recipient, aud []string) {
	atk := s.fresh("replay")
	var es [][]byte
	prev := protocol.Hash{}
	for seq := uint64(1); seq <= 3; seq++ {
		e := atk.entry(s.tb, seq, prev, aud, toIN, "r")
		es, prev = append(es, e.Bytes()), e.Hash()
	}
	r3, err := protocol.NewReceipt(atk.id, atk.id.Public(), 3, prev, time.Now())
	if err != nil {
		s.tb.Fatal(err)
	}
	atk.setServe(func(st network.Stream) {
		serveHello(st, &protocol.Hello{Receipts: []*protocol.Receipt{r3}},
			[][]byte{frame(s.tb, &protocol.Entries{Entries: es}), frame(s.tb, &protocol.End{})})
	})
	eventually(s.tb, 20*time.Second, "the victim pulls the replayer's feed", func() error {
		s.in.ex.Trigger(atk.h.ID())
		return s.headOf(atk, 3)
	})
	atk.setServe(serveNothing)
	s.gossipAttack("replay", atk, false, es, "push_ignored")
}

// variants returns n copies of an entry, each with a different byte in its
// signed part: n distinct forgeries.
func variants(e []byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		b := bytes.Clone(e)
		binary.BigEndian.PutUint32(b[len(b)-protocol.SignatureSize-4:], uint32(i))
		out[i] = b
	}
	return out
}

func (s *attackSuite) headOf(atk *attacker, want uint64) error {
	if h, _ := s.in.st.Head(atk.id.Public()); h.Seq != want {
		return fmt.Errorf("head %d, want %d", h.Seq, want)
	}
	return nil
}

func (s *attackSuite) syncAttacks() {
	junk := make([]byte, 4096)
	rand.Read(junk)
	hello := frame(s.tb, &protocol.Hello{})
	for _, c := range []struct {
		name string
		send []byte
	}{
		{"sync_oversized", binary.BigEndian.AppendUint32(nil, 0xffffffff)},
		{"sync_truncated", append(binary.BigEndian.AppendUint32(nil, 1000), hello[4:]...)},
		{"sync_garbage", junk},
		{"sync_unexpected", append(bytes.Clone(hello), frame(s.tb, &protocol.Entries{Entries: [][]byte{junk[:200]}})...)},
	} {
		atk := s.fresh(c.name)
		d := countersOf(s.in)
		st, err := atk.stream(s.in)
		if err != nil {
			s.tb.Fatal(err)
		}
		st.Write(c.send)
		st.CloseWrite()
		drainStream(s.tb, st, 15*time.Second)
		st.Reset()
		s.record(c.name, 1, s.refusedBy(d, 1, "sync_failed"), int(d.of("entries_received")))
	}
	s.hostileServer()
	s.vouchedForgery()
}

// hostileServer: the victim pulls from an attacker that serves a forged
// entry of its feed.
func (s *attackSuite) hostileServer() {
	atk := s.fresh("sync_forged_served")
	e1 := atk.entry(s.tb, 1, protocol.Hash{}, []string{"IN"}, []age.Recipient{s.in.id.Recipient()}, "one")
	r1, err := protocol.NewReceipt(atk.id, atk.id.Public(), 1, e1.Hash(), time.Now())
	if err != nil {
		s.tb.Fatal(err)
	}
	forged := variants(e1.Bytes(), 1)[0]
	atk.setServe(func(st network.Stream) {
		serveHello(st, &protocol.Hello{Receipts: []*protocol.Receipt{r1}}, [][]byte{frame(s.tb, &protocol.Entries{Entries: [][]byte{forged}})})
	})
	d := countersOf(s.in)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.in.ex.SyncSession(ctx, atk.h.ID()); err == nil {
		s.tb.Fatal("a session serving a forged entry ended without error")
	}
	atk.setServe(serveNothing)
	s.record("sync_forged_served", 1, s.refusedBy(d, 1, "rejected_malformed"), int(d.of("entries_received")))
}

// vouchedForgery: the victim pulls from an attacker that serves, in one
// frame, an entry of its feed with a broken signature and a validly signed
// entry chained to it, so that the good signature covers the forged
// entry's bytes through the hash chain (issue 13).
func (s *attackSuite) vouchedForgery() {
	atk := s.fresh("sync_vouched_forgery")
	raws, r2 := atk.vouchedForgery(s.tb, s.in)
	atk.setServe(func(st network.Stream) {
		serveHello(st, &protocol.Hello{Receipts: []*protocol.Receipt{r2}}, [][]byte{frame(s.tb, &protocol.Entries{Entries: raws}), frame(s.tb, &protocol.End{})})
	})
	d := countersOf(s.in)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.in.ex.SyncSession(ctx, atk.h.ID()); err == nil {
		s.tb.Fatal("a session serving a forged entry ended without error")
	}
	atk.setServe(serveNothing)
	s.record("sync_vouched_forgery", len(raws), s.refusedBy(d, 1, "rejected_malformed"), int(d.of("entries_received")))
}

// floods pushes floodN forged entries, then floodN validly signed entries
// far ahead of the head, each from a fresh attacker as fast as its router
// takes them, and measures the honest partner's latency before and during.
func (s *attackSuite) floods(floodN int) {
	s.metrics["honest_base_p50_ms"], s.metrics["honest_base_max_ms"] = s.latency(20, nil)
	toIN := []age.Recipient{s.in.id.Recipient()}

	atk := s.fresh("flood_forged")
	msgs := variants(atk.entry(s.tb, 1, protocol.Hash{}, []string{"IN"}, toIN, "flood").Bytes(), floodN)
	s.flood("flood_forged", atk, msgs, "rejected_malformed")

	atk = s.fresh("flood_ahead")
	base := atk.entry(s.tb, 1, protocol.Hash{}, []string{"IN"}, toIN, "flood")
	msgs, prev := make([][]byte, floodN), randomHash()
	for i := range msgs {
		e, err := protocol.NewEntry(atk.id, protocol.Draft{Seq: 1_000_000 + uint64(i), Prev: prev, Time: time.Now(),
			Type: "notice", Audience: base.Audience, Commitment: base.Commitment, Ciphertext: base.Ciphertext})
		if err != nil {
			s.tb.Fatal(err)
		}
		msgs[i] = e.Bytes()
	}
	s.flood("flood_ahead", atk, msgs, "push_ignored")
}

// flood publishes msgs from atk while the honest partner publishes, and
// records what the victim validated, stored, and how its memory grew.
func (s *attackSuite) flood(name string, atk *attacker, msgs [][]byte, counter string) {
	atk.reaches(s.tb, s.in, atk.id.Public())
	heap0, rss0 := heapAfterGC(), rssBytes()
	d := countersOf(s.in)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tp := atk.topic(s.tb, atk.id.Public())
		for _, m := range msgs {
			tp.Publish(context.Background(), m)
		}
	}()
	p50, worst := s.latency(20, done)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		s.tb.Fatal("the flood did not finish within 60 s")
	}
	stillServed(s.tb, s.in, s.be, 1) // the victim has drained what reached it
	h, _ := s.in.st.Head(atk.id.Public())
	s.record(name, len(msgs), int(d.of(counter)), int(h.Seq))
	s.metrics[name+"_heap_MiB"] = mib(int64(heapAfterGC()) - int64(heap0))
	s.metrics[name+"_rss_MiB"] = mib(rssBytes() - rss0)
	s.metrics[name+"_honest_p50_ms"], s.metrics[name+"_honest_max_ms"] = p50, worst
}

// latency publishes k entries on the honest partner, one at a time, and
// returns the median and maximum time until the victim stored each. With
// during, it keeps sampling until during is closed too.
func (s *attackSuite) latency(k int, during <-chan struct{}) (p50, worst float64) {
	var lat []time.Duration
	for i := 0; i < k || (during != nil && !closed(during)); i++ {
		h, _ := s.in.st.Head(s.be.id.Public())
		start := time.Now()
		publishN(s.tb, s.be, 1, "IN")
		for deadline := start.Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
			if now, _ := s.in.st.Head(s.be.id.Public()); now.Seq > h.Seq {
				break
			}
			if time.Now().After(deadline) {
				s.tb.Fatal("the honest partner's entry did not arrive within 30 s")
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return ms1(percentile(lat, 50)), ms1(lat[len(lat)-1])
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// slowLoris opens n sync streams from one attacker, each sending one byte
// every 300 ms and never a whole frame, and records the memory they held
// and how many the victim ended (at its 2 s frame deadline).
func (s *attackSuite) slowLoris(n int) {
	atk := s.fresh("slow_loris")
	heap0, rss0 := heapAfterGC(), rssBytes()
	d := countersOf(s.in)
	var wg sync.WaitGroup
	var streams []network.Stream
	for range n {
		st, err := atk.stream(s.in)
		if err != nil {
			s.tb.Fatal(err)
		}
		streams = append(streams, st)
		wg.Go(func() { trickle(st, 10*time.Second) })
	}
	time.Sleep(time.Second) // deliberate: the streams are held, within the 2 s deadline
	s.metrics["slow_loris_heap_MiB"] = mib(int64(heapAfterGC()) - int64(heap0))
	s.metrics["slow_loris_rss_MiB"] = mib(rssBytes() - rss0)
	wg.Wait()
	for _, st := range streams {
		st.Reset()
	}
	s.record("slow_loris", n, s.refusedBy(d, n, "sync_failed"), int(d.of("entries_received")))
}

// trickle writes one byte of a frame header every 300 ms until the stream
// fails or max passes.
func trickle(st network.Stream, max time.Duration) {
	payload := binary.BigEndian.AppendUint32(nil, 5000)
	payload = append(payload, make([]byte, 64)...)
	for i, start := 0, time.Now(); time.Since(start) < max && i < len(payload); i++ {
		st.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := st.Write(payload[i : i+1]); err != nil {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// penalties waits for two score inspections and records, per attack,
// whether its attacker ended penalised, and whether it was graylisted.
func (s *attackSuite) penalties() {
	scoreRounds(s.tb, s.in, 2)
	for name, atk := range s.used {
		line := partnerLine(s.tb, s.in, s.codeOf(atk))
		p := line.PeerScore
		s.metrics[name+"_penalised"] = b2f(p.Score < 0 || p.SyncAbuse > 0 || p.InvalidMessages > 0 || line.Graylisted > 0)
		s.metrics[name+"_graylisted"] = b2f(line.Graylisted > 0)
	}
	if p := partnerLine(s.tb, s.in, "BE").PeerScore; p.Score < 0 {
		s.tb.Fatalf("the honest partner ended with score %v", p.Score)
	}
}

func (s *attackSuite) codeOf(atk *attacker) string {
	code, ok := s.in.roster.Snapshot().PartnerByPeer(atk.h.ID())
	if !ok {
		s.tb.Fatal("an attacker is no longer pinned")
	}
	return code
}

func b2f(b bool) float64 { return map[bool]float64{true: 1}[b] }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// rssBytes is the resident set size of this process, from /proc (0 where
// there is none).
func rssBytes() int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// receiptAttacks: an attacker signs receipts of the victim's feed that
// are not true of it, and claims a head of its own feed it does not
// serve. Refused counts receipts_refused and head_claims_refuted; stored
// counts what the victim's status shows delivered to the attacker.
func (s *attackSuite) receiptAttacks() {
	own := s.in.id.Public()
	atk := s.fresh("receipt_false")
	publishN(s.tb, s.in, 3, s.codeOf(atk))
	head, _ := s.in.st.Head(own)
	lies := []*protocol.Receipt{
		atk.receipt(s.tb, own, 1<<63-1, randomHash(), time.Now()),
		atk.receipt(s.tb, own, head.Seq, randomHash(), time.Now()),
		atk.receipt(s.tb, own, head.Seq+1, randomHash(), time.Now()),
	}
	d := countersOf(s.in)
	for _, r := range lies {
		st := atk.session(s.tb, s.in, r)
		st.Write(rawWant(nil))
		st.Close()
	}
	refused := s.refusedBy(d, len(lies), "receipts_refused")
	s.record("receipt_false", len(lies), refused, int(partnerLine(s.tb, s.in, s.codeOf(atk)).Receipt))

	atk = s.fresh("head_claim_false")
	claim := atk.receipt(s.tb, atk.id.Public(), 1<<63-1, randomHash(), time.Now())
	atk.setServe(func(st network.Stream) { serveHello(st, &protocol.Hello{Receipts: []*protocol.Receipt{claim}}, nil) })
	d = countersOf(s.in)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.in.ex.SyncSession(ctx, atk.h.ID()); err != nil {
		s.tb.Fatal(err)
	}
	atk.setServe(serveNothing)
	refused = min(s.refusedBy(d, 1, "head_claims_refuted"), 1) // the victim's own periodic session may refute it too
	s.record("head_claim_false", 1, refused, int(partnerLine(s.tb, s.in, s.codeOf(atk)).TheirHead))
}

// wantAttacks: an attacker asks the victim for the honest partner's feed
// in ways that would make it serve the same entries many times: one Want
// of 1,024 copies of the range 1..8192, the same entries asked again in
// one session, and six sessions at once. Besides sent and refused, it
// records the bytes of entries the victim sent against the bytes of the
// attacker's Wants (want_*_amplification) and against the bytes of the
// feed it holds (want_*_times_served: how often each entry went out).
func (s *attackSuite) wantAttacks() {
	stillServed(s.tb, s.in, s.be, 19) // a feed of 20 entries or more
	feed := s.be.id.Public()
	held, _ := s.in.st.Head(feed)
	whole := feedBytes(s.tb, s.in, feed)
	copies := make([]protocol.Range, protocol.MaxWantRanges)
	for i := range copies {
		copies[i] = protocol.Range{Feed: feed, From: 1, To: protocol.WantBatch}
	}
	s.wantAttack("want_copies", whole, [][]byte{rawWant(copies)})
	s.wantAttack("want_again", whole, [][]byte{rawWant([]protocol.Range{{Feed: feed, From: 1, To: held.Seq}}),
		rawWant([]protocol.Range{{Feed: feed, From: 1, To: held.Seq}})})

	atk := s.fresh("want_sessions")
	d := countersOf(s.in)
	const sessions = 6
	for range sessions {
		st, err := atk.stream(s.in)
		if err != nil {
			s.tb.Fatal(err)
		}
		defer st.Reset()
		st.Write(frame(s.tb, &protocol.Hello{}))
	}
	busy := s.refusedBy(d, sessions-exchange.MaxServedSessions, "sync_serve_busy")
	s.record("want_sessions", sessions, busy, 0)
}

// wantAttack sends wants, one after the other, in one session of a fresh
// attacker, reading each answer, and records what the victim sent; whole
// is the size of the feed asked for.
func (s *attackSuite) wantAttack(name string, whole int, wants [][]byte) {
	atk := s.fresh(name)
	before := s.in.ex.Abuse(atk.h.ID()).Violations
	st := atk.session(s.tb, s.in)
	defer st.Reset()
	asked, sent, answered := 0, 0, 0
	for _, w := range wants {
		asked += len(w)
		st.Write(w)
		a := readAnswer(s.tb, st)
		sent += a.bytes
		if a.end {
			answered++
		}
	}
	eventually(s.tb, 20*time.Second, "the victim charges the attacker", func() error {
		if s.in.ex.Abuse(atk.h.ID()).Violations == before {
			return fmt.Errorf("%s: no violation charged", name)
		}
		return nil
	})
	s.record(name, len(wants), len(wants)-answered, 0)
	s.metrics[name+"_bytes_asked"] = float64(asked)
	s.metrics[name+"_bytes_sent"] = float64(sent)
	s.metrics[name+"_amplification"] = float64(sent) / float64(asked)
	s.metrics[name+"_times_served"] = float64(sent) / float64(whole)
}
