package ownfeed

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// Config are a Feed's dependencies.
type Config struct {
	ID    *crypto.Identity // signs the feed
	Store *store.Store
	Log   *slog.Logger
	Now   func() time.Time
	// Announce makes a durable own entry known (log, counters, events,
	// the push to partners); called in seq order, once per entry.
	Announce func(e *protocol.Entry)
	// Event appends to the node's event log (recovery_done).
	Event func(kind string, fields map[string]any)
	// Partners lists the pinned partners, for those a recovery waits for.
	Partners func() []store.Partner
	// RecoveryWait is how long a recovering node waits for partners that
	// have not reported its feed, once one has (DefaultRecoveryWait).
	RecoveryWait time.Duration
}

// DefaultRecoveryWait is how long a recovering node waits for partners
// that have not told it their copy of its feed, once at least one has.
const DefaultRecoveryWait = 2 * time.Minute

// Feed is this node's own feed (see the package doc).
type Feed struct {
	cfg Config
	// appendMu serialises appends, so each draft is built on the head it
	// will be appended to; endRecovery holds it too.
	appendMu sync.Mutex
	// handedOver is set once this node's key has signed its hand-over:
	// it signs nothing more.
	handedOver atomic.Bool
	committer  *committer
	recovery   *recovery
}

// New returns the feed of cfg.ID in cfg.Store, reading the store's
// recovery flag and the head on disk.
func New(cfg Config) (*Feed, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RecoveryWait == 0 {
		cfg.RecoveryWait = DefaultRecoveryWait
	}
	f := &Feed{cfg: cfg, recovery: &recovery{wait: cfg.RecoveryWait}}
	if err := f.loadRecovery(); err != nil {
		return nil, err
	}
	own, err := cfg.Store.Head(cfg.ID.Public())
	if err != nil {
		return nil, fmt.Errorf("read own head: %w", err)
	}
	f.committer = &committer{synced: own.Seq}
	return f, nil
}

// HandedOver marks the feed as ended by a hand-over signed before this
// run (a restart with the old key before the new one was put in place).
func (f *Feed) HandedOver() { f.handedOver.Store(true) }

// CheckAppend refuses an own append while recovering, or after this
// node's key has handed over.
func (f *Feed) CheckAppend() error {
	if f.handedOver.Load() {
		return ErrKeyRetired
	}
	if f.Recovering() {
		return ErrOwnHeadUnconfirmed
	}
	return nil
}

// Append fills in seq, prev and time from the current head, signs and
// appends d with its record, then returns once the entry is on disk (see
// [committer]).
func (f *Feed) Append(d protocol.Draft, rec *store.Record) (*protocol.Entry, error) {
	e, err := f.appendDraft(d, rec)
	if err != nil {
		return nil, err
	}
	// Own entries reach the disk before anyone sees them: after a power
	// cut the node must not sign a different entry at the same seq.
	if err := f.commit(e.Seq); err != nil {
		return nil, err
	}
	return e, nil
}

// appendDraft builds the next own entry from d and appends it, holding
// appendMu so that each draft is built on the head it is appended to.
func (f *Feed) appendDraft(d protocol.Draft, rec *store.Record) (*protocol.Entry, error) {
	f.appendMu.Lock()
	defer f.appendMu.Unlock()
	if err := f.CheckAppend(); err != nil {
		return nil, err
	}
	head, err := f.cfg.Store.Head(f.cfg.ID.Public()) // kept in memory by the store
	if err != nil {
		return nil, fmt.Errorf("read own head: %w", err)
	}
	d.Seq, d.Prev, d.Time = head.Seq+1, head.Hash, f.cfg.Now().UTC()
	e, err := protocol.NewEntry(f.cfg.ID, d)
	if err != nil {
		return nil, fmt.Errorf("build entry: %w", err)
	}
	if err := f.cfg.Store.Append(e, rec); err != nil {
		return nil, fmt.Errorf("append entry %d: %w", d.Seq, err)
	}
	if e.Type == protocol.HandoverType {
		f.handedOver.Store(true) // under appendMu: nothing follows it
	}
	f.committer.add(e)
	return e, nil
}
