package node

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// inboxBuilds bounds how many times Inbox reads the held records over
// when partners change meanwhile.
const inboxBuilds = 3

// inboxIndex owns the inbox's lists. They are read from the store once
// (in the background, in the reconciliation load's pass, or by the first
// Inbox), then kept current by every record committed (Node.reconcile).
// Records committed while they are read wait in pending and are added at
// the end; holding a record twice changes nothing. A pinned partner added
// or removed changes which feeds have a code, and so what counts: the
// lists are dropped and read again.
type inboxIndex struct {
	buildMu sync.Mutex // serialises builds, held for a whole one

	mu       sync.Mutex   // guards the fields below
	lists    *inboxLists  // nil until read, and after invalidate
	building bool         // a build is reading the store
	gen      uint64       // counts the invalidations
	pending  []HeldRecord // committed during the build
}

// commit holds the record just committed at seq of the feed of key,
// whose participant is code.
func (x *inboxIndex) commit(code string, key crypto.PublicKey, seq uint64, t time.Time, value any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.lists == nil && !x.building { // the next build reads it from the store
		return
	}
	hs := heldOf(code, key, seq, t, value)
	if x.building {
		x.pending = append(x.pending, hs...)
	}
	if x.lists != nil {
		for _, h := range hs {
			x.lists.add(h)
		}
	}
}

// invalidate drops the lists: the codes of the feeds changed.
func (x *inboxIndex) invalidate() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.lists = nil
	x.gen++
}

// built reports whether the lists are current.
func (x *inboxIndex) built() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.lists != nil
}

// buildInbox reads the inbox's lists from the store unless they are
// current; concurrent callers wait for one build.
func (n *Node) buildInbox() error { return n.inbox.build(n.readInbox) }

// build makes the lists current with read (which reads the store) unless
// they are: the records committed during the read are added to what it
// read; a read during which the lists were invalidated is done again,
// up to inboxBuilds times.
func (x *inboxIndex) build(read func() (*inboxLists, error)) error {
	if x.built() {
		return nil
	}
	x.buildMu.Lock()
	defer x.buildMu.Unlock()
	for range inboxBuilds {
		x.mu.Lock()
		if x.lists != nil {
			x.mu.Unlock()
			return nil
		}
		gen := x.gen
		x.building, x.pending = true, nil
		x.mu.Unlock()
		l, err := read()
		x.mu.Lock()
		if err == nil && x.gen == gen {
			for _, h := range x.pending {
				l.add(h)
			}
			x.lists = l
		}
		x.building, x.pending = false, nil
		x.mu.Unlock()
		if err != nil {
			return err
		}
	}
	if !x.built() {
		return fmt.Errorf("read inbox: %w", ErrInboxChanging)
	}
	return nil
}

// loadAtStart loads the stored records into reconciliation and, in the
// same pass over the store, the inbox's lists: reading them apart doubled
// the start-up work (for 100,000 notices 1.6 s of CPU on top of the
// load's 1.3 s; docs/performance.md). Should partners change meanwhile,
// the inbox is read again on its own (build's retry), never the load.
func (n *Node) loadAtStart() {
	start := time.Now()
	loaded := false
	err := n.inbox.build(func() (*inboxLists, error) {
		if loaded {
			return n.readInbox()
		}
		loaded = true
		l := newInboxLists(n.cfg.Participant, n.id.Public())
		n.loadFindings(func(code string, r *store.StoredRecord, v any) {
			for _, h := range heldOf(code, r.Author, r.Seq, r.Time, v) {
				l.add(h)
			}
		})
		return l, n.runCtx.Err()
	})
	if !loaded { // the lists were read first by a request
		n.loadFindings(nil)
	}
	if err != nil {
		if n.runCtx.Err() == nil {
			n.log.Warn("read the inbox", "err", err)
		}
		return
	}
	n.log.Info("inbox loaded", "took", time.Since(start).Round(time.Millisecond))
}

// readInbox reads the held records of the inbox's types, and every
// withdrawal, into new lists.
func (n *Node) readInbox() (*inboxLists, error) {
	self := n.id.Public()
	l := newInboxLists(n.cfg.Participant, self)
	for _, typ := range slices.Concat(inboxTypes, []string{protocol.WithdrawalType}) {
		var author *crypto.PublicKey
		if typ == protocol.AcknowledgementType || typ == protocol.AnomalyAnswerType {
			author = &self
		}
		recs, err := n.heldRecordsOf(typ, author)
		if err != nil {
			return nil, err
		}
		for _, h := range recs {
			l.add(h)
		}
	}
	return l, nil
}
