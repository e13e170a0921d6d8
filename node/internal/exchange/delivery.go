package exchange

import (
	"bytes"
	"sync"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

// delivery tracks, per partner, what the node knows of the link: last
// contact, the partner's latest receipt of this node's feed, its own head,
// and how the delivery lag evolves.
type delivery struct {
	mu     sync.Mutex // guards byPeer
	byPeer map[peer.ID]*partnerLink
}

// partnerLink is the delivery state of one partner.
type partnerLink struct {
	lastContact time.Time
	theirHead   uint64
	receipt     *protocol.Receipt
	lastLag     uint64
	lagSince    time.Time // when the lag last shrank or was zero
	lastSync    time.Time
	lastSyncErr string
	refused     []byte // the bytes of the last receipt refused (checkOwnReceipt, checkTheirHead)
}

func newDelivery() *delivery { return &delivery{byPeer: map[peer.ID]*partnerLink{}} }

func (d *delivery) link(p peer.ID) *partnerLink {
	l, ok := d.byPeer[p]
	if !ok {
		l = &partnerLink{}
		d.byPeer[p] = l
	}
	return l
}

func (d *delivery) contact(p peer.ID, t time.Time) {
	d.mu.Lock()
	d.link(p).lastContact = t
	d.mu.Unlock()
}

// receipt keeps r if it covers more than the receipt held; it reports
// whether it did.
func (d *delivery) receipt(p peer.ID, r *protocol.Receipt) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.link(p)
	if l.receipt != nil && (r.Seq < l.receipt.Seq || (r.Seq == l.receipt.Seq && !r.Time.After(l.receipt.Time))) {
		return false
	}
	l.receipt = r
	return true
}

// refused records r as p's last refused receipt; it reports whether r
// differs from the one refused before.
func (d *delivery) refused(p peer.ID, r *protocol.Receipt) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.link(p)
	if bytes.Equal(l.refused, r.Bytes()) {
		return false
	}
	l.refused = bytes.Clone(r.Bytes()) // not the hello frame it aliases
	return true
}

func (d *delivery) theirHead(p peer.ID, seq uint64) {
	d.mu.Lock()
	d.link(p).theirHead = seq
	d.mu.Unlock()
}

func (d *delivery) syncDone(p peer.ID, t time.Time, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.link(p)
	l.lastSync, l.lastSyncErr = t, ""
	if err != nil {
		l.lastSyncErr = err.Error()
	}
}

// observeLag records the current lag; the history sampler calls it at
// each sample, and only it.
func (d *delivery) observeLag(p peer.ID, lag uint64, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.link(p)
	l.lagSince = l.since(lag, now)
	l.lastLag = lag
}

// lagSince returns since when lag has not shrunk, as of the lags
// observed: now when it is zero, has shrunk since the last observation or
// was never observed. It records nothing: a status read changes no state.
func (d *delivery) lagSince(p peer.ID, lag uint64, now time.Time) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l, ok := d.byPeer[p]; ok {
		return l.since(lag, now)
	}
	return now
}

func (l *partnerLink) since(lag uint64, now time.Time) time.Time {
	if lag == 0 || lag < l.lastLag || l.lagSince.IsZero() {
		return now
	}
	return l.lagSince
}

func (d *delivery) get(p peer.ID) partnerLink {
	d.mu.Lock()
	defer d.mu.Unlock()
	return *d.link(p)
}

func (d *delivery) forget(p peer.ID) {
	d.mu.Lock()
	delete(d.byPeer, p)
	d.mu.Unlock()
}
