package ownfeed

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// recovery tracks what a recovering node has learned of its own feed.
//
// The rule (docs/security.md, "Keys"): the node may append again once
//   - at least one partner has told it (in a sync hello) how much of its
//     feed it holds, and every other pinned, unpaused partner has too, or
//     wait has passed since the node started, and
//   - its own feed, pulled back from the partners and verified, reaches
//     the highest head any of them reported, with the same hash.
type recovery struct {
	mu     sync.Mutex // guards the fields below
	wait   time.Duration
	active bool
	reason string
	start  time.Time                   // when this run began waiting
	heads  map[string]protocol.Receipt // partner code -> its receipt of our feed (zero: holds none)
	// refuted are the reports a session showed false (DropReport), by
	// partner code: the same report is not taken again.
	refuted map[string]protocol.Receipt
}

// RecoveryStatus is the recovery state of the own feed.
type RecoveryStatus struct {
	// Recovering is set while appends are refused with
	// [ErrOwnHeadUnconfirmed].
	Recovering bool   `json:"recovering"`
	Reason     string `json:"reason,omitempty"`
	// Reported lists, by partner code, the head of this node's feed each
	// partner reported since the node started.
	Reported map[string]uint64 `json:"reported,omitempty"`
	// Missing lists the partners that have not reported yet.
	Missing []string `json:"missing,omitempty"`
	// Target is the highest head reported; OwnHead is how much of its own
	// feed the node holds.
	Target  uint64 `json:"target"`
	OwnHead uint64 `json:"own_head"`
	// WaitUntil is when the node stops waiting for missing partners.
	WaitUntil time.Time `json:"wait_until,omitzero"`
}

// loadRecovery reads the store's recovery flag.
func (f *Feed) loadRecovery() error {
	reason, ok, err := f.cfg.Store.Recovering()
	if err != nil {
		return err
	}
	r := f.recovery
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active, r.reason, r.start = ok, reason, f.cfg.Now()
	r.heads, r.refuted = map[string]protocol.Receipt{}, map[string]protocol.Receipt{}
	return nil
}

// SetRecoveryWait changes how long a recovery waits for missing partners
// (tests shorten it).
func (f *Feed) SetRecoveryWait(d time.Duration) {
	f.recovery.mu.Lock()
	defer f.recovery.mu.Unlock()
	f.recovery.wait = d
}

// Recovering reports whether own appends are refused until the node has
// learned its own head.
func (f *Feed) Recovering() bool {
	f.recovery.mu.Lock()
	defer f.recovery.mu.Unlock()
	return f.recovery.active
}

// NoteOwnHead records, while recovering, partner code's copy of this
// node's feed as its hello told it (a zero receipt: it holds none), then
// re-checks the rule.
func (f *Feed) NoteOwnHead(code string, r protocol.Receipt) {
	rc := f.recovery
	rc.mu.Lock()
	if x, ok := rc.refuted[code]; !rc.active || (ok && x.Seq == r.Seq && x.Hash == r.Hash) {
		rc.mu.Unlock()
		return
	}
	rc.heads[code] = r
	rc.mu.Unlock()
	f.CheckRecovered()
}

// DropReport drops, while recovering, partner code's report of this
// node's feed, which a session showed false: code counts as not having
// reported (the wait for missing partners applies) and the same report
// is not taken again. It returns the report dropped, if any.
func (f *Feed) DropReport(code string) (protocol.Receipt, bool) {
	rc := f.recovery
	rc.mu.Lock()
	defer rc.mu.Unlock()
	r, ok := rc.heads[code]
	if ok && rc.active {
		delete(rc.heads, code)
		rc.refuted[code] = r
	}
	return r, ok
}

// CheckRecovered ends recovery when the rule holds.
func (f *Feed) CheckRecovered() {
	st := f.RecoveryStatus()
	if !st.Recovering || len(st.Reported) == 0 || st.OwnHead < st.Target {
		return
	}
	if len(st.Missing) > 0 && f.cfg.Now().Before(st.WaitUntil) {
		return
	}
	if err := f.checkOwnHashes(); err != nil {
		f.cfg.Log.Error("own feed: a partner holds a different entry than this node; appends stay refused", "err", err)
		return
	}
	f.EndRecovery(map[string]any{"head": st.OwnHead, "reported": st.Reported, "missing": st.Missing})
}

// checkOwnHashes compares each reported head with the entry this node
// holds at that seq.
func (f *Feed) checkOwnHashes() error {
	f.recovery.mu.Lock()
	heads := slices.Collect(maps.Values(f.recovery.heads))
	f.recovery.mu.Unlock()
	for _, r := range heads {
		if r.Seq == 0 {
			continue
		}
		e, err := f.cfg.Store.Entry(f.cfg.ID.Public(), r.Seq)
		if err != nil {
			return fmt.Errorf("own entry %d: %w", r.Seq, err)
		}
		if e.Hash() != r.Hash {
			return fmt.Errorf("own entry %d: %w: a partner holds %s, this node %s", r.Seq, store.ErrEquivocation, r.Hash, e.Hash())
		}
	}
	return nil
}

// EndRecovery makes the pulled entries durable, lets them leave the node
// and clears the flag (audited by the store); details go to the log and
// the recovery_done event. It does nothing when not recovering.
func (f *Feed) EndRecovery(details map[string]any) {
	f.appendMu.Lock()
	defer f.appendMu.Unlock()
	if !f.Recovering() {
		return
	}
	head, err := f.cfg.Store.Head(f.cfg.ID.Public())
	if err == nil {
		err = f.cfg.Store.Sync()
	}
	if err == nil {
		err = f.cfg.Store.ClearRecovering()
	}
	if err != nil {
		f.cfg.Log.Error("end recovery", "err", err)
		return
	}
	f.Advance(head.Seq)
	f.recovery.mu.Lock()
	f.recovery.active = false
	f.recovery.mu.Unlock()
	f.cfg.Log.Info("recovery ended: appends allowed again", "seq", head.Seq, "details", details)
	f.cfg.Event("recovery_done", details)
}

// RecoveryStatus returns what the node has learned of its own feed while
// recovering.
func (f *Feed) RecoveryStatus() RecoveryStatus {
	own, _ := f.cfg.Store.Head(f.cfg.ID.Public())
	rc := f.recovery
	rc.mu.Lock()
	defer rc.mu.Unlock()
	st := RecoveryStatus{Recovering: rc.active, Reason: rc.reason, OwnHead: own.Seq}
	if !rc.active {
		return st
	}
	st.Reported, st.WaitUntil = map[string]uint64{}, rc.start.Add(rc.wait)
	for code, r := range rc.heads {
		st.Reported[code] = r.Seq
		st.Target = max(st.Target, r.Seq)
	}
	for _, p := range f.cfg.Partners() {
		if _, ok := rc.heads[p.Code]; !ok && !p.Paused {
			st.Missing = append(st.Missing, p.Code)
		}
	}
	return st
}
