package node

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/store"
)

// ErrUnknownFinding is returned by [Node.ExplainFinding] for an id that
// names no current finding.
var ErrUnknownFinding = errors.New("no such finding")

// loadPage is how many stored records the reconciliation load parses and
// adds at a time; readyWait bounds how long a findings query waits for
// the load to finish.
const (
	loadPage  = 5000
	readyWait = 2 * time.Minute
)

// findings is the node's reconciliation state, fed with every record it
// stores (its own and its partners'). At start the stored records are
// loaded in the background, so that the node serves at once; records
// stored meanwhile wait in pending and are added when the load ends.
type findings struct {
	keys    feedKeys   // the feeds' keys the records share (record)
	mu      sync.Mutex // guards the fields below
	st      *reconcile.State
	acks    map[string]FindingAck // by finding id
	ackGen  uint64                // counts the changes of acks
	summary *summaryCache         // the last FindingsSummary answered
	loading bool
	loaded  int                             // stored records added so far
	pending map[pendingPos]reconcile.Record // stored during the load
	ready   chan struct{}                   // closed when the load ends
}

func newFindings(cfg Config) (*findings, error) {
	st, err := reconcile.NewState(cfg.Reconcile, cfg.Participant, reconcile.DefaultUnitValues())
	if err != nil {
		return nil, fmt.Errorf("%w: reconcile: %w", ErrBadConfig, err)
	}
	return &findings{st: st, acks: map[string]FindingAck{}, loading: true,
		pending: map[pendingPos]reconcile.Record{}, ready: make(chan struct{})}, nil
}

// pendingPos is the position of a record stored during the load: its
// feed (after a rotation one code has two) and seq.
type pendingPos struct {
	feed string // reconcile.Record.FeedKey
	seq  uint64
}

func pendingPosOf(r reconcile.Record) pendingPos { return pendingPos{r.FeedKey, r.Ref.Seq} }

// record is the reconciliation input of the record at seq of the feed
// of key, whose participant is code. Its FeedKey is the string every
// record of the feed shares: one of its own per record was 32 bytes of
// garbage per record loaded, and of the pending map's peak.
func (f *findings) record(code string, key crypto.PublicKey, seq uint64, t, held time.Time, value any) reconcile.Record {
	return reconcile.Record{Ref: reconcile.RecordRef{Feed: code, Seq: seq}, FeedKey: f.keys.of(key), Time: t, Held: held, Body: value}
}

// feedKeys hands out the bytes of each feed key as one string. It grows
// with the feeds whose records are stored, which the roster bounds.
type feedKeys struct {
	mu sync.Mutex
	m  map[crypto.PublicKey]string
}

// of returns the bytes of k as the string every caller shares.
func (f *feedKeys) of(k crypto.PublicKey) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.m[k]
	if !ok {
		if f.m == nil {
			f.m = map[crypto.PublicKey]string{}
		}
		s = string(k[:])
		f.m[k] = s
	}
	return s
}

// loadFindings feeds every stored record into the reconciliation state, a
// page at a time, then the records stored meanwhile; it stops early when
// the node closes. Each record parsed is also handed to also (nil: none),
// so that other views read at start (the inbox's lists) share the pass.
func (n *Node) loadFindings(also func(code string, r *store.StoredRecord, value any)) {
	start := time.Now()
	var after *store.Cursor
	for n.runCtx.Err() == nil {
		recs, err := n.st.Records(store.RecordQuery{Limit: loadPage, After: after})
		if err != nil {
			n.log.Error("load records for reconciliation", "err", err)
			break
		}
		n.addLoaded(n.reconcileRecords(recs, also))
		if len(recs) < loadPage {
			break
		}
		c := recs[len(recs)-1].Cursor()
		after = &c
	}
	f := n.findings
	f.mu.Lock()
	f.st.AddAll(slices.Collect(maps.Values(f.pending)))
	f.loading, f.pending = false, nil
	loaded := f.loaded
	f.mu.Unlock()
	close(f.ready)
	n.log.Info("reconciliation loaded", "records", loaded, "took", time.Since(start).Round(time.Millisecond))
}

// reconcileRecords turns stored records into reconciliation input,
// skipping those that do not parse (counted when they were stored), and
// hands each parsed record to also (when not nil).
func (n *Node) reconcileRecords(recs []*store.StoredRecord, also func(code string, r *store.StoredRecord, value any)) []reconcile.Record {
	out := make([]reconcile.Record, 0, len(recs))
	for _, r := range recs {
		code, ok := n.roster.Snapshot().FeedCode(r.Author)
		if !ok {
			continue
		}
		v, err := protocol.ParseRecord(r.Type, r.Body)
		if err != nil {
			continue
		}
		if also != nil {
			also(code, r, v)
		}
		held := r.Held
		if code == n.cfg.Participant {
			held = time.Time{} // see heldOf
		}
		out = append(out, n.findings.record(code, r.Author, r.Seq, r.Time, held, v))
	}
	return out
}

// addLoaded adds a page of stored records, except those also stored
// during the load (pending adds them).
func (n *Node) addLoaded(batch []reconcile.Record) {
	f := n.findings
	f.mu.Lock()
	defer f.mu.Unlock()
	batch = slices.DeleteFunc(batch, func(r reconcile.Record) bool { _, dup := f.pending[pendingPosOf(r)]; return dup })
	f.st.AddAll(batch)
	f.loaded += len(batch)
}

// waitFindings waits (bounded) until the stored records are loaded; it
// reports whether they are.
func (n *Node) waitFindings() bool {
	select {
	case <-n.findings.ready:
		return true
	case <-time.After(readyWait):
		return false
	}
}

// heldOf returns when this node first held a partner's entry (the
// store wrote it with the entry, by the store's clock, as a reload reads
// it), for the calendar to judge lateness by; for this node's own entries
// the zero Time: it signed them itself, by its own clock.
func (n *Node) heldOf(code string, key crypto.PublicKey, seq uint64) time.Time {
	if code == n.cfg.Participant {
		return time.Time{}
	}
	held, err := n.st.Held(key, seq)
	if err != nil {
		n.log.Warn("read first-held time", "feed", code, "seq", seq, "err", err)
	}
	return held
}

// reconcile adds a stored record, at seq of the feed of key whose
// participant is code, to the reconciliation state and reports the
// findings it raised or cleared as events.
func (n *Node) reconcile(code string, key crypto.PublicKey, seq uint64, t time.Time, value any) {
	if value == nil {
		return
	}
	n.inbox.commit(code, key, seq, t, value)
	defer n.noteMembershipRecord(code, key, seq, value)
	r := n.findings.record(code, key, seq, t, n.heldOf(code, key, seq), value)
	n.findings.mu.Lock()
	if n.findings.loading {
		n.findings.pending[pendingPosOf(r)] = r
		n.findings.mu.Unlock()
		return
	}
	changed, cleared := n.findings.st.Add(r)
	n.findings.mu.Unlock()
	for _, f := range changed {
		n.events.emit("finding_raised", map[string]any{"id": f.ID, "rule": f.Rule, "severity": string(f.Severity), "partner": f.Partner})
	}
	for _, id := range cleared {
		n.events.emit("finding_cleared", map[string]any{"id": id})
	}
}

// Findings returns the current findings that q selects, evaluated at the
// node's clock. Right after start it waits (bounded) until the stored
// records are loaded.
func (n *Node) Findings(q reconcile.Query) []reconcile.Finding {
	n.waitFindings()
	n.findings.mu.Lock()
	all := n.findings.st.Findings(n.now())
	n.findings.mu.Unlock()
	return reconcile.Select(all, q)
}

// FindingCounts returns how many current findings each rule raised at
// each severity, evaluated at the node's clock, sorted by rule. It costs
// the number of groups, not of findings: /metrics reads it at every
// scrape. It does not wait for the stored records to load: right after
// start it counts those loaded so far (Status().Reconciliation says
// whether the load has ended).
func (n *Node) FindingCounts() []reconcile.FindingCount {
	n.findings.mu.Lock()
	defer n.findings.mu.Unlock()
	return n.findings.st.Counts(n.now())
}

// ExplainFinding returns a finding and a longer explanation of it: the
// numbers behind it and the honest causes that may explain it.
func (n *Node) ExplainFinding(id string) (reconcile.Finding, string, error) {
	n.waitFindings()
	parties := n.calendarParties()
	n.findings.mu.Lock()
	n.findings.st.SetParties(parties)
	n.findings.st.Advance(n.now())
	f, text, ok := n.findings.st.Explain(id)
	n.findings.mu.Unlock()
	if !ok {
		return f, "", fmt.Errorf("finding %q: %w", id, ErrUnknownFinding)
	}
	return f, text, nil
}
