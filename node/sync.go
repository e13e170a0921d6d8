package node

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Sync limits.
const (
	syncFrameTimeout   = 30 * time.Second   // each frame read or write
	syncSessionTimeout = 15 * time.Minute   // a whole session
	syncMaxRange       = protocol.WantBatch // entries asked for, and served, per range
	syncBatchEntries   = 256                // entries read from the store at once
	syncFrameBudget    = 512 << 10          // bytes of entries per Entries frame
)

// errProtocol is returned when a partner breaks the sync protocol.
var errProtocol = errors.New("sync protocol violation")

// frameConn is a sync stream with a deadline on every frame.
type frameConn struct {
	s       network.Stream
	r       *bufio.Reader
	w       *bufio.Writer
	cache   *protocol.ReceiptCache
	timeout time.Duration // each frame read or write
}

// frameBufSize is the size of a sync stream's read and write buffers,
// which are pooled: a session per partner per sync interval and per gap
// would otherwise make them most of the node's garbage.
const frameBufSize = 64 << 10

var (
	frameReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, frameBufSize) }}
	frameWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, frameBufSize) }}
)

func (n *Node) newFrameConn(s network.Stream) *frameConn {
	r, w := frameReaders.Get().(*bufio.Reader), frameWriters.Get().(*bufio.Writer)
	r.Reset(s)
	w.Reset(s)
	return &frameConn{s: s, r: r, w: w, cache: n.receiptCache, timeout: n.frameTimeout}
}

// release returns the buffers to their pools; c is unusable after.
func (c *frameConn) release() {
	c.r.Reset(nil)
	c.w.Reset(nil)
	frameReaders.Put(c.r)
	frameWriters.Put(c.w)
	c.r, c.w = nil, nil
}

func (c *frameConn) send(f protocol.Frame) error {
	c.s.SetWriteDeadline(time.Now().Add(c.timeout))
	if err := protocol.WriteFrame(c.w, f); err != nil {
		return fmt.Errorf("send %T: %w", f, err)
	}
	return c.w.Flush()
}

func (c *frameConn) recv() (protocol.Frame, error) {
	c.s.SetReadDeadline(time.Now().Add(c.timeout))
	return protocol.ReadFrameCached(c.r, c.cache)
}

// finish closes the stream after a clean session, else resets it, and
// releases the buffers.
func (c *frameConn) finish(err error) {
	defer c.release()
	if err != nil {
		c.s.Reset()
		return
	}
	c.s.Close()
}

func (c *frameConn) fail(code uint16, err error) error {
	c.send(protocol.NewSyncError(code, err.Error()))
	return err
}

func (c *frameConn) expectHello() (*protocol.Hello, error) {
	f, err := c.recv()
	if err != nil {
		return nil, err
	}
	switch f := f.(type) {
	case *protocol.Hello:
		return f, nil
	case *protocol.SyncError: // busy, or refused: not a violation
		return nil, fmt.Errorf("partner reported: %w", f)
	}
	return nil, fmt.Errorf("%w: want a hello frame, got %T", errProtocol, f)
}

// syncSession runs one pull session with partner p as the initiator.
func (n *Node) syncSession(ctx context.Context, p peer.ID) error {
	ctx, cancel := context.WithTimeout(ctx, syncSessionTimeout)
	defer cancel()
	h := n.currentHost()
	if h == nil {
		return errors.New("sync: node not started")
	}
	s, err := h.NewStream(network.WithAllowLimitedConn(ctx, "sync"), p, protocol.SyncProtocolID)
	if err != nil {
		return fmt.Errorf("open sync stream: %w", err)
	}
	c := n.newFrameConn(s)
	err = n.pull(ctx, c, p)
	c.finish(err)
	n.chargeSync(p, err)
	return err
}

// pull drives a puller over the stream: hellos, then wants answered by
// entries until the puller wants nothing more, then the final receipts.
func (n *Node) pull(ctx context.Context, c *frameConn, p peer.ID) error {
	if err := c.send(&protocol.Hello{Receipts: n.helloReceipts(p)}); err != nil {
		return err
	}
	hello, err := c.expectHello()
	if err != nil {
		return err
	}
	m := newPuller(n.localSeqs(), n.acceptFeed)
	defer func() {
		if m.more() {
			n.syncer.trigger(p) // continue in a new session
		}
	}()
	step := m.hello(n.capClosed(n.absorbHello(p, hello)))
	for step.err == nil && !step.finish {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.send(&protocol.Want{Ranges: step.want}); err != nil {
			return err
		}
		step = n.receiveRound(c, m)
	}
	if se := (*protocol.SyncError)(nil); errors.As(step.err, &se) {
		return step.err // the partner ended the session
	}
	if step.err != nil {
		return c.fail(protocol.SyncCodeProtocol, step.err)
	}
	n.refuteClaims(p, m)
	if err := c.send(&protocol.Hello{Receipts: n.helloReceipts(p)}); err != nil {
		return err
	}
	return c.send(&protocol.Want{})
}

// receiveRound ingests Entries frames until End, checking each entry
// against the puller before it is appended. Frames overlap: while the
// entries of one frame are appended in order on this goroutine, the next
// frame is read and its entries verified and opened on every core (see
// [preparing]), so that the appends, which cannot run in parallel, do not
// leave the cores idle. At most one frame is prepared ahead, and it is
// always waited for before the round returns.
func (n *Node) receiveRound(c *frameConn, m *puller) pullStep {
	var ahead *preparing
	settle := func() error {
		if ahead == nil {
			return nil
		}
		p := ahead
		ahead = nil
		return n.commitBatch(m, p.raws, p.wait())
	}
	defer func() {
		if ahead != nil {
			ahead.wait()
		}
	}()
	for {
		f, err := c.recv()
		if err != nil {
			return m.fail(err)
		}
		switch f := f.(type) {
		case *protocol.Entries:
			next := n.startPrepare(f.Entries)
			if err := settle(); err != nil {
				next.wait()
				return m.fail(err)
			}
			ahead = next
		case *protocol.End:
			if err := settle(); err != nil {
				return m.fail(err)
			}
			return m.end()
		default:
			return m.frame(f)
		}
	}
}

// preparing is a frame's entries being prepared by [Node.prepareAll] on
// its own goroutine.
type preparing struct {
	raws  [][]byte
	done  chan struct{}
	preps []prepared
}

// startPrepare starts preparing raws; the caller must call wait.
func (n *Node) startPrepare(raws [][]byte) *preparing {
	p := &preparing{raws: raws, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.preps = n.prepareAll(raws)
	}()
	return p
}

// wait returns the prepared entries once all are done. It is bounded by
// the work itself: prepare does no I/O beyond reading the store.
func (p *preparing) wait() []prepared {
	<-p.done
	return p.preps
}

// commitBatch appends prepared entries in order; an entry out of turn, or
// one that is neither stored nor already held, ends the session.
func (n *Node) commitBatch(m *puller, raws [][]byte, preps []prepared) error {
	if n.commitRun(m, preps) {
		return nil
	}
	for i, raw := range raws {
		feed, seq, ok := peekEntry(raw)
		if !ok {
			n.reject("malformed", nil, nil)
			return fmt.Errorf("%w: malformed entry", errRelayedForgery)
		}
		if err := m.entry(feed, seq); err != nil {
			return err
		}
		r := n.commit(preps[i])
		if r.outcome == outcomeRejected && r.reason == "malformed" {
			return fmt.Errorf("%w: entry %d: %v", errRelayedForgery, seq, r.err)
		}
		if r.outcome != outcomeStored && r.outcome != outcomeDuplicate {
			return fmt.Errorf("relayed entry %d refused (%s): %v", seq, r.reason, r.err)
		}
		m.stored(feed, seq, r.outcome == outcomeStored)
	}
	return nil
}

// commitRun appends a frame whose entries all follow on, in order, from
// the heads in one store transaction ([store.Store.AppendRun]), the
// common case of a catch-up. It reports false, with nothing stored or
// recorded, when any entry is out of turn, was settled without appending
// (malformed, not a partner's, this node's own), is a hand-over or of a
// closed feed (needsOwnCommit), or is refused by the
// store as a whole; commitBatch then goes entry by entry, which settles
// each case as it always has.
func (n *Node) commitRun(m *puller, preps []prepared) bool {
	if len(preps) < 2 {
		return false
	}
	es := make([]*protocol.Entry, len(preps))
	recs := make([]*store.Record, len(preps))
	for i, p := range preps {
		if p.done != nil || p.e == nil || n.needsOwnCommit(p.e) {
			return false
		}
		es[i], recs[i] = p.e, p.rec
	}
	if !m.acceptsRun(es) {
		return false
	}
	if err := n.st.AppendRun(es, recs); err != nil {
		n.counters.add("append_run_fallback", 1)
		return false
	}
	for _, p := range preps {
		m.stored(p.e.Author, p.e.Seq, true)
		n.appendOutcome(p.code, p.e, nil)
		n.reconcile(p.code, p.e.Author, p.e.Seq, p.e.Time, p.value)
	}
	return true
}

// needsOwnCommit reports whether e must go through commit on its own: a
// key hand-over (the partner is re-pinned once it is stored, which closes
// its old feed) or an entry of a feed already closed.
func (n *Node) needsOwnCommit(e *protocol.Entry) bool {
	if e.Type == protocol.HandoverType {
		return true
	}
	_, closed := n.closedAt(e.Author)
	return closed
}

// chargeSync charges partner p for the error a sync session with it ended
// with, when the error is its doing, and counts it.
func (n *Node) chargeSync(p peer.ID, err error) {
	if err == nil || n.runCtx.Err() != nil {
		return // a clean session, or our own shutdown
	}
	if kind := n.abuse.syncError(p, err); kind != "" {
		n.counters.add("sync_abuse_"+kind, 1)
	}
}

// peekEntry reads the author and seq at their fixed offsets, before the
// entry is verified; ingest verifies everything.
func peekEntry(raw []byte) (crypto.PublicKey, uint64, bool) {
	var k crypto.PublicKey
	if len(raw) < protocol.MinEntrySize {
		return k, 0, false
	}
	copy(k[:], raw[1:33])
	return k, binary.BigEndian.Uint64(raw[33:41]), true
}

// behindOn reports whether a partner's hello (its heads, by feed) shows a
// feed this node accepts further than this node holds it (retired keys'
// feeds only up to where they closed, as the puller caps them).
func (n *Node) behindOn(heads map[crypto.PublicKey]uint64) bool {
	for feed, seq := range n.capClosed(heads) {
		if _, ok := n.feedCode(feed); !ok || feed == n.id.Public() {
			continue
		}
		if h, err := n.st.Head(feed); err == nil && seq > h.Seq {
			return true
		}
	}
	return false
}

// handleSync serves a partner's pull session, within what the partner may
// ask for (serveLimits).
func (n *Node) handleSync(s network.Stream) {
	p := s.Conn().RemotePeer()
	c := n.newFrameConn(s)
	if _, ok := n.partnerByPeer(p); !ok {
		c.finish(errors.New("not a partner"))
		return
	}
	n.delivery.contact(p, n.now())
	if err := n.serving.open(p); err != nil {
		n.counters.add("sync_failed", 1)
		n.counters.add("sync_serve_busy", 1)
		c.finish(c.fail(protocol.SyncCodeBusy, err))
		return
	}
	defer n.serving.close(p)
	ctx, cancel := context.WithTimeout(n.runCtx, syncSessionTimeout)
	defer cancel()
	err := n.serve(ctx, c, p)
	if err != nil {
		n.counters.add("sync_failed", 1)
		n.chargeSync(p, err)
		n.log.Debug("sync session served with error", "peer", p, "err", err)
	}
	c.finish(err)
}

func (n *Node) serve(ctx context.Context, c *frameConn, p peer.ID) error {
	hello, err := c.expectHello()
	if err != nil {
		return err
	}
	if n.behindOn(n.absorbHello(p, hello)) {
		n.syncer.trigger(p) // the partner holds more than we do: pull it
	}
	if err := c.send(&protocol.Hello{Receipts: n.helloReceipts(p)}); err != nil {
		return err
	}
	sess := newServeSession(p, n.serving)
	for ctx.Err() == nil {
		f, err := c.recv()
		if err != nil {
			return err
		}
		switch f := f.(type) {
		case *protocol.Hello:
			n.absorbHello(p, f)
		case *protocol.Want:
			if len(f.Ranges) == 0 {
				return nil
			}
			if err := n.serveWant(c, sess, f.Ranges); err != nil {
				return err
			}
		case *protocol.SyncError:
			return fmt.Errorf("partner reported: %s", f.Message)
		default:
			return c.fail(protocol.SyncCodeProtocol, fmt.Errorf("%w: unexpected %T", errProtocol, f))
		}
	}
	return ctx.Err()
}

// serveWant answers one Want within the session's limits: a Want that
// asks again for entries sent in this session ends it as a violation, one
// past the session's or the day's budget as busy.
func (n *Node) serveWant(c *frameConn, sess *serveSession, ranges []protocol.Range) error {
	switch err := sess.admit(ranges); {
	case errors.Is(err, errServeBusy):
		n.counters.add("sync_serve_busy", 1)
		return c.fail(protocol.SyncCodeBusy, err)
	case err != nil:
		return c.fail(protocol.SyncCodeProtocol, err)
	}
	return n.serveRanges(c, sess, ranges)
}

// serveRanges streams the entries of each range this node holds, in order,
// in frames of at most syncFrameBudget bytes, then End. Any feed it holds is
// served: partners verify what they receive. At most syncMaxRange entries
// of a range are served, and the answer stops at the Want's budget (a
// shorter answer the puller continues in its next Want).
func (n *Node) serveRanges(c *frameConn, sess *serveSession, ranges []protocol.Range) error {
	b := sess.budget()
	for _, r := range ranges {
		to := min(r.To, r.From+syncMaxRange-1)
		if err := n.serveRange(c, sess, &b, r.Feed, r.From, to); err != nil {
			return err
		}
	}
	return c.send(&protocol.End{})
}

// serveRange sends entries from..to of feed, as far as this node holds
// them and b allows, and records them as sent.
func (n *Node) serveRange(c *frameConn, sess *serveSession, b *wantBudget, feed crypto.PublicKey, from, to uint64) error {
	if feed == n.id.Public() { // own entries leave once on disk
		to = min(to, n.committer.syncedSeq())
	}
	if f, ok := n.closedAt(feed); ok {
		to = min(to, f.validThrough)
	}
	out := rangeOut{c: c, first: from, last: from - 1}
	defer func() { sess.sentRange(feed, out.first, out.last, out.total) }()
	for next := from; next <= to; {
		entries, err := n.st.RawEntries(feed, next, int(min(to-next+1, syncBatchEntries)))
		if err != nil || len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if e.Seq != out.last+1 || !b.takes(len(e.Bytes), out.total == 0) {
				return out.flush() // a gap in what we hold, or the budget spent
			}
			if err := out.add(e.Bytes, e.Seq); err != nil {
				return err
			}
		}
		next = entries[len(entries)-1].Seq + 1
	}
	return out.flush()
}

// rangeOut batches the entries of one range into Entries frames of at
// most syncFrameBudget bytes.
type rangeOut struct {
	c           *frameConn
	batch       [][]byte
	size        int
	first, last uint64 // entries first..last added
	total       int    // bytes added
}

func (o *rangeOut) add(raw []byte, seq uint64) error {
	if o.size+len(raw) > syncFrameBudget && len(o.batch) > 0 {
		if err := o.flush(); err != nil {
			return err
		}
	}
	o.batch, o.size = append(o.batch, raw), o.size+len(raw)
	o.last, o.total = seq, o.total+len(raw)
	return nil
}

func (o *rangeOut) flush() error {
	if len(o.batch) == 0 {
		return nil
	}
	err := o.c.send(&protocol.Entries{Entries: o.batch})
	o.batch, o.size = nil, 0
	return err
}
