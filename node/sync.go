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
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Sync limits.
const (
	syncFrameTimeout   = 30 * time.Second // each frame read or write
	syncSessionTimeout = 15 * time.Minute // a whole session
	syncMaxRange       = 1000             // entries asked for per range
	syncBatchEntries   = 256              // entries read from the store at once
	syncFrameBudget    = 512 << 10        // bytes of entries per Entries frame
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
	h, ok := f.(*protocol.Hello)
	if !ok {
		return nil, fmt.Errorf("%w: want a hello frame, got %T", errProtocol, f)
	}
	return h, nil
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
	if err := c.send(&protocol.Hello{Receipts: n.ownReceipts()}); err != nil {
		return err
	}
	hello, err := c.expectHello()
	if err != nil {
		return err
	}
	m := newPuller(n.localSeqs(), n.acceptFeed)
	step := m.hello(n.absorbHello(p, hello))
	for step.err == nil && !step.finish {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.send(&protocol.Want{Ranges: step.want}); err != nil {
			return err
		}
		step = n.receiveRound(c, m)
	}
	if step.err != nil {
		return c.fail(protocol.SyncCodeProtocol, step.err)
	}
	if err := c.send(&protocol.Hello{Receipts: n.ownReceipts()}); err != nil {
		return err
	}
	return c.send(&protocol.Want{})
}

// receiveRound ingests Entries frames until End, checking each entry
// against the puller before it is ingested.
func (n *Node) receiveRound(c *frameConn, m *puller) pullStep {
	for {
		f, err := c.recv()
		if err != nil {
			return m.fail(err)
		}
		switch f := f.(type) {
		case *protocol.Entries:
			if err := n.ingestBatch(m, f.Entries); err != nil {
				return m.fail(err)
			}
		case *protocol.End:
			return m.end()
		default:
			return m.frame(f)
		}
	}
}

// ingestBatch verifies and opens a frame's entries on every core, then
// appends them in order; an entry out of turn, or one that is neither
// stored nor already held, ends the session.
func (n *Node) ingestBatch(m *puller, raws [][]byte) error {
	preps := n.prepareAll(raws)
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

// handleSync serves a partner's pull session.
func (n *Node) handleSync(s network.Stream) {
	p := s.Conn().RemotePeer()
	c := n.newFrameConn(s)
	if _, ok := n.partnerByPeer(p); !ok {
		c.finish(errors.New("not a partner"))
		return
	}
	n.delivery.contact(p, n.now())
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
	n.absorbHello(p, hello)
	if err := c.send(&protocol.Hello{Receipts: n.ownReceipts()}); err != nil {
		return err
	}
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
			if err := n.serveRanges(c, f.Ranges); err != nil {
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

// serveRanges streams the entries of each range this node holds, in order,
// in frames of at most syncFrameBudget bytes, then End. Any feed it holds is
// served: partners verify what they receive.
func (n *Node) serveRanges(c *frameConn, ranges []protocol.Range) error {
	for _, r := range ranges {
		to := min(r.To, r.From+syncMaxRange-1)
		if err := n.serveRange(c, r.Feed, r.From, to); err != nil {
			return err
		}
	}
	return c.send(&protocol.End{})
}

func (n *Node) serveRange(c *frameConn, feed crypto.PublicKey, from, to uint64) error {
	if feed == n.id.Public() { // own entries leave once on disk
		to = min(to, n.committer.syncedSeq())
	}
	var batch [][]byte
	size := 0
	for from <= to {
		entries, err := n.st.RawEntries(feed, from, int(min(to-from+1, syncBatchEntries)))
		if err != nil || len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if size+len(e.Bytes) > syncFrameBudget && len(batch) > 0 {
				if err := c.send(&protocol.Entries{Entries: batch}); err != nil {
					return err
				}
				batch, size = nil, 0
			}
			batch, size = append(batch, e.Bytes), size+len(e.Bytes)
		}
		from = entries[len(entries)-1].Seq + 1
	}
	if len(batch) == 0 {
		return nil
	}
	return c.send(&protocol.Entries{Entries: batch})
}
