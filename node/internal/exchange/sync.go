package exchange

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/feedsync"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Sync limits.
const (
	syncFrameTimeout   = 30 * time.Second  // each frame read or write
	syncSessionTimeout = 15 * time.Minute  // a whole session
	syncMaxRange       = feedsync.MaxRange // entries asked for, and served, per range
	syncBatchEntries   = 256               // entries read from the store at once
	syncFrameBudget    = 512 << 10         // bytes of entries per Entries frame
)

// errProtocol is returned when a partner breaks the sync protocol.
var errProtocol = feedsync.ErrProtocol

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

func (n *Service) newFrameConn(s network.Stream) *frameConn {
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

// SyncSession runs one pull session with partner p as the initiator, now.
func (n *Service) SyncSession(ctx context.Context, p peer.ID) error {
	ctx, cancel := context.WithTimeout(ctx, syncSessionTimeout)
	defer cancel()
	s, err := n.host.NewStream(network.WithAllowLimitedConn(ctx, "sync"), p, protocol.SyncProtocolID)
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
func (n *Service) pull(ctx context.Context, c *frameConn, p peer.ID) error {
	if err := c.send(&protocol.Hello{Receipts: n.helloReceipts(p)}); err != nil {
		return err
	}
	hello, err := c.expectHello()
	if err != nil {
		return err
	}
	m := feedsync.New(n.localSeqs(), n.acceptFeed)
	defer func() {
		if m.More() {
			n.syncer.trigger(p) // continue in a new session
		}
	}()
	step := m.Hello(n.roster.Snapshot().CapClosed(n.absorbHello(p, hello)))
	for step.Err == nil && !step.Finish {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.send(&protocol.Want{Ranges: step.Want}); err != nil {
			return err
		}
		step = n.receiveRound(c, m)
	}
	if se := (*protocol.SyncError)(nil); errors.As(step.Err, &se) {
		return step.Err // the partner ended the session
	}
	if step.Err != nil {
		return c.fail(protocol.SyncCodeProtocol, step.Err)
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
func (n *Service) receiveRound(c *frameConn, m *feedsync.Puller) feedsync.Step {
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
			return m.Fail(err)
		}
		switch f := f.(type) {
		case *protocol.Entries:
			next := n.startPrepare(f.Entries)
			if err := settle(); err != nil {
				next.wait()
				return m.Fail(err)
			}
			ahead = next
		case *protocol.End:
			if err := settle(); err != nil {
				return m.Fail(err)
			}
			return m.End()
		default:
			return m.Frame(f)
		}
	}
}

// preparing is a frame's entries being prepared by
// [ingest.Pipeline.PrepareAll] on its own goroutine.
type preparing struct {
	raws  [][]byte
	done  chan struct{}
	preps []ingest.Prepared
}

// startPrepare starts preparing raws; the caller must call wait.
func (n *Service) startPrepare(raws [][]byte) *preparing {
	p := &preparing{raws: raws, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.preps = n.pipe.PrepareAll(raws)
	}()
	return p
}

// wait returns the prepared entries once all are done. It is bounded by
// the work itself: prepare does no I/O beyond reading the store.
func (p *preparing) wait() []ingest.Prepared {
	<-p.done
	return p.preps
}

// commitBatch appends prepared entries in order; an entry out of turn, or
// one that is neither stored nor already held, ends the session. A frame
// that follows on from the heads is appended in one store transaction
// ([ingest.Pipeline.CommitRun]); any other goes entry by entry.
func (n *Service) commitBatch(m *feedsync.Puller, raws [][]byte, preps []ingest.Prepared) error {
	if es := n.pipe.CommitRun(preps, m.AcceptsRun); es != nil {
		for _, e := range es {
			m.Stored(e.Author, e.Seq, true)
		}
		return nil
	}
	for i, raw := range raws {
		feed, seq, ok := ingest.PeekEntry(raw)
		if !ok {
			n.pipe.Reject("malformed", nil, nil)
			return fmt.Errorf("%w: malformed entry", ErrRelayedForgery)
		}
		if err := m.Entry(feed, seq); err != nil {
			return err
		}
		r := n.pipe.Commit(preps[i])
		if r.Outcome == ingest.Rejected && r.Reason == "malformed" {
			return fmt.Errorf("%w: entry %d: %v", ErrRelayedForgery, seq, r.Err)
		}
		if r.Outcome != ingest.Stored && r.Outcome != ingest.Duplicate {
			return fmt.Errorf("relayed entry %d refused (%s): %v", seq, r.Reason, r.Err)
		}
		m.Stored(feed, seq, r.Outcome == ingest.Stored)
	}
	return nil
}

// chargeSync charges partner p for the error a sync session with it ended
// with, when the error is its doing, and counts it.
func (n *Service) chargeSync(p peer.ID, err error) {
	if err == nil || n.runCtx.Err() != nil {
		return // a clean session, or our own shutdown
	}
	if kind := n.abuse.syncError(p, err); kind != "" {
		n.count("sync_abuse_"+kind, 1)
	}
}

// behindOn reports whether a partner's hello (its heads, by feed) shows a
// feed this node accepts further than this node holds it (retired keys'
// feeds only up to where they closed, as the puller caps them).
func (n *Service) behindOn(heads map[crypto.PublicKey]uint64) bool {
	for feed, seq := range n.roster.Snapshot().CapClosed(heads) {
		if _, ok := n.roster.Snapshot().FeedCode(feed); !ok || feed == n.id.Public() {
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
func (n *Service) handleSync(s network.Stream) {
	p := s.Conn().RemotePeer()
	c := n.newFrameConn(s)
	if _, ok := n.roster.Snapshot().PartnerByPeer(p); !ok {
		c.finish(errors.New("not a partner"))
		return
	}
	n.delivery.contact(p, n.now())
	if err := n.serving.open(p); err != nil {
		n.count("sync_failed", 1)
		n.count("sync_serve_busy", 1)
		c.finish(c.fail(protocol.SyncCodeBusy, err))
		return
	}
	defer n.serving.close(p)
	ctx, cancel := context.WithTimeout(n.runCtx, syncSessionTimeout)
	defer cancel()
	err := n.serve(ctx, c, p)
	if err != nil {
		n.count("sync_failed", 1)
		n.chargeSync(p, err)
		n.log.Debug("sync session served with error", "peer", p, "err", err)
	}
	c.finish(err)
}

func (n *Service) serve(ctx context.Context, c *frameConn, p peer.ID) error {
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
func (n *Service) serveWant(c *frameConn, sess *serveSession, ranges []protocol.Range) error {
	switch err := sess.admit(ranges); {
	case errors.Is(err, errServeBusy):
		n.count("sync_serve_busy", 1)
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
func (n *Service) serveRanges(c *frameConn, sess *serveSession, ranges []protocol.Range) error {
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
func (n *Service) serveRange(c *frameConn, sess *serveSession, b *wantBudget, feed crypto.PublicKey, from, to uint64) error {
	if feed == n.id.Public() { // own entries leave once on disk
		to = min(to, n.own.SyncedSeq())
	}
	if f, ok := n.roster.Snapshot().ClosedAt(feed); ok {
		to = min(to, f.ValidThrough)
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
