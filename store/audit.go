package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// The audit log records the operator's administrative actions (partners
// added, removed, paused, resumed, addresses set; imports; exports;
// evidence exports; acknowledgements) in an append-only chain of its own:
//
//	"a/" seq(8) -> encoding(1) time(8) prev(32) hash(32) action length(1) action details
//
// Each record's hash covers auditDomain and its fields (see auditHash), and
// each names the hash of the record before it, so a record altered,
// removed or reordered breaks the chain where it happened.
const prefixAudit = "a/"

// auditDomain separates audit hashes from every other hash kpnode makes.
const auditDomain = "kpnode/audit/v1"

// auditEncoding is the first byte of every audit value.
const auditEncoding = 1

// auditHeaderLen is encoding(1) time(8) prev(32) hash(32) action length(1).
const auditHeaderLen = 1 + 8 + hashLen + hashLen + 1

// Audit limits.
const (
	maxAuditAction  = 64
	maxAuditDetails = 64 << 10
)

// AuditEvent is an administrative action to append to the audit log.
type AuditEvent struct {
	// Action names the action: 1..64 bytes of [a-z0-9._-], such as
	// "partner.add".
	Action string
	// Details describe it; encoding/json must turn them into a JSON
	// object (nil means {}) without a top-level "actor" key.
	Details any
	// Actor names who acted: a staff user, an API token's name, or
	// [ActorNode] (the node's own token, and the node's own actions);
	// empty means ActorNode. It is stored as the details' "actor" key, so
	// the record's hash covers it.
	Actor string
}

// ActorNode is the actor of the node's own token and of what the node
// does by itself.
const ActorNode = "node"

// AuditRecord is one record of the audit log.
type AuditRecord struct {
	Seq     uint64          `json:"seq"`     // 1, 2, 3 …
	Time    time.Time       `json:"time"`    // when it was appended
	Action  string          `json:"action"`  // see [AuditEvent]
	Actor   string          `json:"actor"`   // who acted (see [AuditEvent]); "node" for records older than actors
	Details json.RawMessage `json:"details"` // a JSON object, with the actor as its "actor" key
	Prev    protocol.Hash   `json:"prev"`    // Hash of record Seq-1; zero for the first
	Hash    protocol.Hash   `json:"hash"`    // auditHash of the fields above
}

// auditHash returns SHA-256(auditDomain || 0x00 || seq(8) || time(8) ||
// action length(1) || action || details length(4) || details || prev(32)).
func auditHash(r *AuditRecord) protocol.Hash {
	h := sha256.New()
	h.Write([]byte(auditDomain))
	h.Write([]byte{0})
	h.Write(be64(r.Seq))
	h.Write(appendTime(nil, r.Time))
	h.Write([]byte{byte(len(r.Action))})
	h.Write([]byte(r.Action))
	h.Write(be32(uint32(len(r.Details))))
	h.Write(r.Details)
	h.Write(r.Prev[:])
	return protocol.Hash(h.Sum(nil))
}

func auditKey(seq uint64) []byte { return makeKey(prefixAudit, be64(seq)) }

func parseAuditKey(k []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(k, []byte(prefixAudit))
	if !ok || len(rest) != 8 {
		return 0, false
	}
	return uint64FromBE(rest), true
}

func encodeAudit(r *AuditRecord) []byte {
	b := make([]byte, 0, auditHeaderLen+len(r.Action)+len(r.Details))
	b = append(b, auditEncoding)
	b = appendTime(b, r.Time)
	b = append(b, r.Prev[:]...)
	b = append(b, r.Hash[:]...)
	b = append(b, byte(len(r.Action)))
	b = append(b, r.Action...)
	return append(b, r.Details...)
}

// decodeAudit decodes the value of audit record seq. It checks the
// framing, not the hash.
func decodeAudit(seq uint64, v []byte) (*AuditRecord, error) {
	if len(v) < auditHeaderLen || v[0] != auditEncoding {
		return nil, fmt.Errorf("%w: malformed audit record %d (%d bytes)", ErrCorrupt, seq, len(v))
	}
	n := auditHeaderLen + int(v[auditHeaderLen-1])
	if len(v) < n {
		return nil, fmt.Errorf("%w: audit record %d truncated in its action", ErrCorrupt, seq)
	}
	r := &AuditRecord{Seq: seq, Time: readTime(v[1:]), Action: string(v[auditHeaderLen:n]),
		Details: bytes.Clone(v[n:])}
	r.Actor = detailsActor(r.Details)
	copy(r.Prev[:], v[9:])
	copy(r.Hash[:], v[9+hashLen:])
	return r, nil
}

// prepareAudit checks ev and encodes its details.
func prepareAudit(ev AuditEvent) (action string, details []byte, err error) {
	if !validAction(ev.Action) {
		return "", nil, fmt.Errorf("%w: audit action %q: want 1..%d bytes of [a-z0-9._-]", ErrInvalid, ev.Action, maxAuditAction)
	}
	details = []byte("{}")
	if ev.Details != nil {
		if details, err = json.Marshal(ev.Details); err != nil {
			return "", nil, fmt.Errorf("%w: audit details of %s: %v", ErrInvalid, ev.Action, err)
		}
	}
	if len(details) == 0 || details[0] != '{' {
		return "", nil, fmt.Errorf("%w: audit details of %s are not a JSON object", ErrInvalid, ev.Action)
	}
	if details, err = withActor(details, ev.Actor); err != nil {
		return "", nil, fmt.Errorf("%w: audit details of %s: %v", ErrInvalid, ev.Action, err)
	}
	switch {
	case len(details) > maxAuditDetails:
		return "", nil, fmt.Errorf("%w: audit details of %s: %d bytes, at most %d", ErrInvalid, ev.Action, len(details), maxAuditDetails)
	}
	return ev.Action, details, nil
}

// withActor puts actor (ActorNode when empty) first in the JSON object
// details, which must not name an actor of its own.
func withActor(details []byte, actor string) ([]byte, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(details, &keys); err != nil {
		return nil, err
	}
	if _, ok := keys["actor"]; ok {
		return nil, fmt.Errorf(`the details name an "actor" of their own`)
	}
	if actor == "" {
		actor = ActorNode
	}
	a, err := json.Marshal(actor)
	if err != nil {
		return nil, err
	}
	out := append([]byte(`{"actor":`), a...)
	if len(keys) > 0 {
		out = append(out, ',')
	}
	return append(out, bytes.TrimSpace(details)[1:]...), nil
}

// detailsActor reads the actor back from stored details; records written
// before actors were recorded were all the node's token holder's.
func detailsActor(details []byte) string {
	var d struct {
		Actor string `json:"actor"`
	}
	if json.Unmarshal(details, &d) != nil || d.Actor == "" {
		return ActorNode
	}
	return d.Actor
}

func validAction(s string) bool {
	if s == "" || len(s) > maxAuditAction {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// AppendAudit appends ev to the audit log in a transaction of its own and
// syncs it to disk before it returns, so an action the caller reports as
// done is never missing from the log after a crash or power cut.
func (s *Store) AppendAudit(ev AuditEvent) (AuditRecord, error) {
	r, err := s.updateAudited(&ev, func(*badger.Txn) error { return nil })
	if err != nil {
		return AuditRecord{}, err
	}
	return r, nil
}

// updateAudited runs fn in a read-write transaction and, when ev is not
// nil, appends ev to the audit log in the same transaction: both are
// committed or neither. It then syncs the store to disk.
func (s *Store) updateAudited(ev *AuditEvent, fn func(txn *badger.Txn) error) (AuditRecord, error) {
	var rec AuditRecord
	var action string
	var details []byte
	if ev != nil {
		var err error
		if action, details, err = prepareAudit(*ev); err != nil {
			return rec, err
		}
		s.auditMu.Lock()
		defer s.auditMu.Unlock()
	}
	err := s.update(func(txn *badger.Txn) error {
		if err := fn(txn); err != nil || ev == nil {
			return err
		}
		var err error
		rec, err = s.appendAuditTxn(txn, action, details)
		return err
	})
	if err == nil {
		err = s.Sync()
	}
	return rec, err
}

// appendAuditTxn appends the next audit record inside txn.
func (s *Store) appendAuditTxn(txn *badger.Txn, action string, details []byte) (AuditRecord, error) {
	seq, prev, err := lastAuditLink(txn)
	if err != nil {
		return AuditRecord{}, fmt.Errorf("read audit log: %w", err)
	}
	r := AuditRecord{Seq: seq + 1, Time: s.now().UTC(), Action: action, Actor: detailsActor(details), Details: details, Prev: prev}
	r.Hash = auditHash(&r)
	if err := txn.Set(auditKey(r.Seq), encodeAudit(&r)); err != nil {
		return AuditRecord{}, fmt.Errorf("write audit record %d: %w", r.Seq, err)
	}
	return r, nil
}

// lastAuditLink returns the seq and hash the next audit record links to.
// A last record too damaged to hold its hash is linked by the hash of its
// bytes: the log keeps growing (actions must never be refused for it) and
// [Store.Verify] reports the damage.
func lastAuditLink(txn *badger.Txn) (uint64, protocol.Hash, error) {
	o := badger.DefaultIteratorOptions
	o.Prefix, o.Reverse = []byte(prefixAudit), true
	it := txn.NewIterator(o)
	defer it.Close()
	it.Seek(prefixEnd([]byte(prefixAudit)))
	if !it.Valid() {
		return 0, protocol.Hash{}, nil
	}
	seq, ok := parseAuditKey(it.Item().Key())
	if !ok {
		return 0, protocol.Hash{}, fmt.Errorf("%w: malformed audit key of %d bytes", ErrCorrupt, len(it.Item().Key()))
	}
	v, err := it.Item().ValueCopy(nil)
	if err != nil {
		return 0, protocol.Hash{}, err
	}
	if r, err := decodeAudit(seq, v); err == nil {
		return seq, r.Hash, nil
	}
	return seq, hashBytes(v), nil
}

// AuditLog returns the audit log newest first, at most limit records
// (all for limit <= 0).
func (s *Store) AuditLog(limit int) ([]AuditRecord, error) {
	var out []AuditRecord
	err := s.view(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix, o.Reverse = []byte(prefixAudit), true
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Seek(prefixEnd([]byte(prefixAudit))); it.Valid() && (limit <= 0 || len(out) < limit); it.Next() {
			r, err := readAuditItem(it.Item())
			if err != nil {
				return err
			}
			out = append(out, *r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

func readAuditItem(item *badger.Item) (*AuditRecord, error) {
	seq, ok := parseAuditKey(item.Key())
	if !ok {
		return nil, fmt.Errorf("%w: malformed audit key of %d bytes", ErrCorrupt, len(item.Key()))
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return nil, err
	}
	return decodeAudit(seq, v)
}

// AuditReport is the outcome of [Store.VerifyAudit].
type AuditReport struct {
	Records  int           `json:"records"`
	Head     uint64        `json:"head"`      // seq of the last record; 0 for an empty log
	HeadHash protocol.Hash `json:"head_hash"` // its stored hash: note it to detect a truncated tail later
	// BrokenAt is the seq of the first record where the chain breaks; 0
	// when it holds.
	BrokenAt uint64    `json:"broken_at,omitempty"`
	Problems []Problem `json:"problems"`
}

// OK reports whether the chain holds.
func (r AuditReport) OK() bool { return len(r.Problems) == 0 }

// VerifyAudit re-checks the audit log's chain on a consistent snapshot:
// seqs run from 1 without gaps, each record's hash matches its fields, and
// each names the hash of the record before it. Every break is a problem of
// kind [ProblemAudit] naming the seq where it happens. The error is only
// for I/O failures and ctx.
func (s *Store) VerifyAudit(ctx context.Context) (AuditReport, error) {
	v := &verifier{ctx: ctx, ends: map[crypto.PublicKey]*feedState{}}
	err := s.view(func(txn *badger.Txn) error {
		v.txn = txn
		return v.audit()
	})
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify audit log: %w", err)
	}
	rep := AuditReport{Records: v.auditLog.records, Head: v.auditLog.seq, HeadHash: v.auditLog.hash,
		Problems: v.rep.Problems}
	if len(rep.Problems) > 0 {
		rep.BrokenAt = rep.Problems[0].Seq
	}
	if rep.Problems == nil {
		rep.Problems = []Problem{}
	}
	return rep, nil
}

// auditWalk is what the audit step of a verifier knows.
type auditWalk struct {
	records int
	seq     uint64        // the last record's seq
	hash    protocol.Hash // its stored hash
	known   bool          // its stored hash could be read, so the next link can be checked
}

// audit checks the audit log's chain.
func (v *verifier) audit() error {
	v.auditLog = auditWalk{known: true}
	return v.walk(prefixAudit, true, func(k, val []byte) {
		v.auditLog.records++
		seq, ok := parseAuditKey(k)
		if !ok {
			v.problem(crypto.PublicKey{}, 0, ProblemAudit, "malformed audit key %x", k)
			return
		}
		v.checkAudit(seq, val)
	})
}

func (v *verifier) checkAudit(seq uint64, val []byte) {
	w := &v.auditLog
	linked := w.known && seq == w.seq+1
	prev := w.hash
	switch {
	case seq == w.seq+2:
		v.auditProblem(w.seq+1, "audit record %d missing", w.seq+1)
	case seq > w.seq+2:
		v.auditProblem(w.seq+1, "audit records %d..%d missing", w.seq+1, seq-1)
	}
	w.seq, w.known = seq, false
	r, err := decodeAudit(seq, val)
	if err != nil {
		v.auditProblem(seq, "%v", err)
		return
	}
	w.hash, w.known = r.Hash, true
	if got := auditHash(r); got != r.Hash {
		v.auditProblem(seq, "audit record %d (%s) was altered: its fields hash to %s, it stores %s", seq, r.Action, got.Short(), r.Hash.Short())
	}
	if linked && r.Prev != prev {
		v.auditProblem(seq, "audit record %d names prev %s, record %d stores hash %s", seq, r.Prev.Short(), seq-1, prev.Short())
	}
}

func (v *verifier) auditProblem(seq uint64, format string, args ...any) {
	v.problem(crypto.PublicKey{}, seq, ProblemAudit, format, args...)
}
