package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// Head is the latest entry of a feed as this store holds it. Seq 0 (and the
// zero Hash) is an empty feed.
type Head struct {
	Seq  uint64
	Hash protocol.Hash
	Time time.Time
}

const headLen = 8 + hashLen + 8

func encodeHead(h Head) []byte {
	b := make([]byte, 0, headLen)
	b = append(b, be64(h.Seq)...)
	b = append(b, h.Hash[:]...)
	return appendTime(b, h.Time)
}

func decodeHead(b []byte) (Head, error) {
	var h Head
	if len(b) != headLen {
		return h, fmt.Errorf("%w: head value is %d bytes, want %d", ErrCorrupt, len(b), headLen)
	}
	h.Seq = uint64FromBE(b)
	copy(h.Hash[:], b[8:])
	h.Time = readTime(b[8+hashLen:])
	return h, nil
}

// maxConflictRetries bounds the retries of an append that lost a Badger
// transaction conflict. appendMu makes conflicts impossible between
// appends; a retry covers writers that bypass it (tamper drills).
const maxConflictRetries = 3

// Head returns the head of author's feed; the zero Head for an unknown feed.
func (s *Store) Head(author crypto.PublicKey) (Head, error) {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return Head{}, fmt.Errorf("read head %s: %w", author, ErrClosed)
	}
	h, err := s.heads.head(author, s.loadHeads)
	if err != nil {
		return Head{}, fmt.Errorf("read head %s: %w", author, err)
	}
	return h, nil
}

func readHead(txn *badger.Txn, author crypto.PublicKey) (Head, error) {
	v, err := getValue(txn, headKey(author))
	if errors.Is(err, ErrNotFound) {
		return Head{}, nil
	}
	if err != nil {
		return Head{}, err
	}
	return decodeHead(v)
}

// Heads returns the head of every feed the store holds.
func (s *Store) Heads() (map[crypto.PublicKey]Head, error) {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("read heads: %w", ErrClosed)
	}
	heads, err := s.heads.all(s.loadHeads)
	if err != nil {
		return nil, fmt.Errorf("read heads: %w", err)
	}
	return heads, nil
}

// loadHeads reads every head from Badger, for the cache (see headCache);
// the caller holds closeMu for reading.
func (s *Store) loadHeads() (map[crypto.PublicKey]Head, error) {
	heads := map[crypto.PublicKey]Head{}
	err := s.db.View(func(txn *badger.Txn) error {
		return scan(txn, []byte(prefixHead), func(k, v []byte) error {
			a, ok := parseHeadKey(k)
			if !ok {
				return fmt.Errorf("%w: malformed head key of %d bytes", ErrCorrupt, len(k))
			}
			h, err := decodeHead(v)
			heads[a] = h
			return err
		})
	})
	return heads, err
}

// Append stores e as the next entry of its author's feed and, when this
// node could decrypt it, its record rec with the record's indexes. The
// entry, the new head, the record and its index keys are committed in one
// Badger transaction: all or nothing.
//
// e must come from protocol.DecodeEntry, protocol.DecodeBatch or
// protocol.NewEntry, which verify or make its signature: Append checks
// the chain (e.Follows the stored head), not the signature. rec.Type must
// be empty (meaning e.Type) or equal to e.Type.
//
// Errors, with nothing applied:
//   - [ErrExists]: this very entry is stored (a no-op for callers);
//   - [ErrEquivocation]: a different entry with the same author and seq is
//     stored; e is kept as evidence (see [Store.Equivocations]);
//   - protocol.ErrSeqGap, protocol.ErrBrokenChain: e does not follow the head;
//   - [ErrInvalid]: rec cannot be stored.
func (s *Store) Append(e *protocol.Entry, rec *Record) error {
	if e == nil {
		return fmt.Errorf("append entry: %w: nil entry", ErrInvalid)
	}
	rec, err := normaliseRecord(e, rec)
	if err == nil {
		err = s.checkAppendSize(e, rec)
	}
	if err != nil {
		return fmt.Errorf("append entry %s #%d: %w", e.Author, e.Seq, err)
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	for attempt := 0; ; attempt++ {
		var eq *Equivocation
		staged := false
		err := s.update(func(txn *badger.Txn) error {
			var err error
			eq, err = appendTxn(txn, e, rec, s.now())
			if err == nil && eq == nil && s.failAppend != nil {
				return s.failAppend
			}
			staged = err == nil
			return err
		})
		if errors.Is(err, badger.ErrConflict) && attempt < maxConflictRetries {
			continue
		}
		if staged && eq == nil {
			s.noteAppended(err, e) // else the head did not move (evidence only, or nothing written)
		}
		return appendResult(e, eq, err)
	}
}

// AppendRun appends entries, each with its record in recs (nil when it
// was not opened), as [Store.Append] would one after the other, but in one
// Badger transaction: a catch-up of thousands of entries then pays for one
// commit per run instead of one per entry. It is all or nothing: when any
// entry is not a plain new append (already stored, an equivocation, a gap
// or broken chain, an invalid record, a transaction too large), nothing is
// applied, no evidence is kept, and the error names the entry; callers
// then append entry by entry with [Store.Append], which settles each case.
func (s *Store) AppendRun(es []*protocol.Entry, recs []*Record) error {
	if len(es) != len(recs) {
		return fmt.Errorf("append run: %w: %d entries, %d records", ErrInvalid, len(es), len(recs))
	}
	norm := make([]*Record, len(es))
	for i, e := range es {
		if e == nil {
			return fmt.Errorf("append run: %w: nil entry %d", ErrInvalid, i+1)
		}
		rec, err := normaliseRecord(e, recs[i])
		if err == nil {
			err = s.checkAppendSize(e, rec)
		}
		if err != nil {
			return fmt.Errorf("append run: entry %s #%d: %w", e.Author, e.Seq, err)
		}
		norm[i] = rec
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	staged := false
	err := s.update(func(txn *badger.Txn) error {
		now := s.now()
		for i, e := range es {
			eq, err := appendTxn(txn, e, norm[i], now)
			switch {
			case err == nil && eq != nil:
				err = ErrEquivocation
			case err == nil && s.failAppend != nil:
				err = s.failAppend
			}
			if err != nil {
				return fmt.Errorf("append run: entry %s #%d: %w", e.Author, e.Seq, err)
			}
		}
		staged = true
		return nil
	})
	if staged {
		s.noteAppended(err, es...) // else nothing was written
	}
	return err
}

// noteAppended updates the cached heads after an append transaction that
// staged es as the new heads of their feeds and then ended with err (the
// caller holds appendMu): es are the new heads when it committed; when the
// commit failed the cache is dropped rather than guessed.
func (s *Store) noteAppended(err error, es ...*protocol.Entry) {
	if err != nil {
		s.heads.drop()
		return
	}
	s.heads.appended(es...)
}

// checkAppendSize refuses an entry or record too large to store (only
// possible in memory: on disk the limit is far above protocol.MaxEntrySize).
func (s *Store) checkAppendSize(e *protocol.Entry, rec *Record) error {
	if err := s.checkSize("entry", evidenceHeaderLen+len(e.Bytes())); err != nil {
		return err
	}
	if rec == nil {
		return nil
	}
	return s.checkSize("record", len(rec.value))
}

func appendResult(e *protocol.Entry, eq *Equivocation, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("append entry %s #%d: %w", e.Author, e.Seq, err)
	case eq != nil:
		return fmt.Errorf("append entry %s #%d: %w: stored %s, offered %s",
			e.Author, e.Seq, ErrEquivocation, eq.Kept, hashBytes(eq.Conflicting))
	}
	return nil
}

// appendTxn does the work of Append inside txn. It returns the evidence
// when e equivocates (and txn must be committed to keep it), or an error
// when txn must be discarded.
func appendTxn(txn *badger.Txn, e *protocol.Entry, rec *Record, now time.Time) (*Equivocation, error) {
	head, err := readHead(txn, e.Author)
	if err != nil {
		return nil, fmt.Errorf("read head: %w", err)
	}
	if e.Seq >= 1 && e.Seq <= head.Seq {
		return settleStored(txn, e, head, now)
	}
	if err := e.Follows(head.Seq, head.Hash); err != nil {
		return nil, err // names both seqs and hashes
	}
	return nil, writeEntry(txn, e, rec, now)
}

// settleStored handles an entry at or below the head: the same bytes are
// ErrExists; different bytes are equivocation, recorded once as evidence.
func settleStored(txn *badger.Txn, e *protocol.Entry, head Head, now time.Time) (*Equivocation, error) {
	stored, err := getValue(txn, entryKey(e.Author, e.Seq))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: entry missing below head %d", ErrCorrupt, head.Seq)
	}
	if err != nil {
		return nil, fmt.Errorf("read stored entry: %w", err)
	}
	raw := e.Bytes()
	if bytes.Equal(stored, raw) {
		return nil, ErrExists
	}
	eq := &Equivocation{Author: e.Author, Seq: e.Seq, Kept: hashBytes(stored), Conflicting: raw, Seen: now}
	return eq, keepEvidence(txn, eq)
}

// writeEntry writes e, its head and its record (rec, when not nil), and
// notes that this node first held e at now: the author signs e.Time and
// may set it early; now is this node's own.
func writeEntry(txn *badger.Txn, e *protocol.Entry, rec *Record, now time.Time) error {
	raw := e.Bytes()
	if err := txn.Set(entryKey(e.Author, e.Seq), bytes.Clone(raw)); err != nil {
		return fmt.Errorf("write entry: %w", err)
	}
	if err := txn.Set(heldKey(e.Author, e.Seq), appendTime(nil, now)); err != nil {
		return fmt.Errorf("write first-held time: %w", err)
	}
	h := Head{Seq: e.Seq, Hash: hashBytes(raw), Time: e.Time}
	if err := txn.Set(headKey(e.Author), encodeHead(h)); err != nil {
		return fmt.Errorf("write head: %w", err)
	}
	if rec == nil {
		return nil
	}
	return writeRecord(txn, e.Author, e.Seq, e.Time, rec)
}

// hashBytes is protocol.Entry.Hash for stored bytes: SHA-256 of the wire
// bytes, without decoding them (a test pins the equivalence).
func hashBytes(b []byte) protocol.Hash { return sha256.Sum256(b) }

// Entry returns author's entry seq, decoded and its signature verified.
// It returns [ErrNotFound] when it is not stored, and [ErrCorrupt] when
// the stored bytes no longer decode.
func (s *Store) Entry(author crypto.PublicKey, seq uint64) (*protocol.Entry, error) {
	var raw []byte
	err := s.view(func(txn *badger.Txn) error {
		var err error
		raw, err = getValue(txn, entryKey(author, seq))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read entry %s #%d: %w", author, seq, err)
	}
	return decodeStored(author, seq, raw)
}

// Holds reports whether author's entry seq is stored with exactly the
// bytes raw: an entry offered again (a sync range racing the push of the
// same entries) is then a duplicate without being decoded or verified,
// since the stored bytes were verified when they were appended.
func (s *Store) Holds(author crypto.PublicKey, seq uint64, raw []byte) (bool, error) {
	var same bool
	err := s.view(func(txn *badger.Txn) error {
		item, err := txn.Get(entryKey(author, seq))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			same = bytes.Equal(v, raw)
			return nil
		})
	})
	if err != nil {
		return false, fmt.Errorf("read entry %s #%d: %w", author, seq, err)
	}
	return same, nil
}

// Entries returns author's entries in ascending seq order from seq from
// (1 when from is 0), at most limit of them (all when limit <= 0), each
// decoded and its signature verified.
func (s *Store) Entries(author crypto.PublicKey, from uint64, limit int) ([]*protocol.Entry, error) {
	var stored []storedEntry
	err := s.view(func(txn *badger.Txn) error {
		var err error
		stored, err = feedValues(txn, author, max(from, 1), limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read entries %s from %d: %w", author, from, err)
	}
	entries := make([]*protocol.Entry, 0, len(stored))
	for _, st := range stored {
		e, err := decodeStored(author, st.seq, st.raw)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// RawEntry is a stored entry's wire bytes, not re-verified, and the seq it
// is stored under.
type RawEntry struct {
	Seq   uint64
	Bytes []byte
}

// RawEntries is [Store.Entries] without decoding: the bytes as stored, for
// relaying to partners, who verify every entry they receive. The bytes are
// the caller's.
func (s *Store) RawEntries(author crypto.PublicKey, from uint64, limit int) ([]RawEntry, error) {
	var stored []storedEntry
	err := s.view(func(txn *badger.Txn) error {
		var err error
		stored, err = feedValues(txn, author, max(from, 1), limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read entries %s from %d: %w", author, from, err)
	}
	out := make([]RawEntry, len(stored))
	for i, st := range stored {
		out[i] = RawEntry{Seq: st.seq, Bytes: st.raw}
	}
	return out, nil
}

// storedEntry is an entry's bytes and the seq of the key they sit under.
type storedEntry struct {
	seq uint64
	raw []byte
}

// feedValues copies up to limit entry values of author from seq from.
func feedValues(txn *badger.Txn, author crypto.PublicKey, from uint64, limit int) ([]storedEntry, error) {
	o := badger.DefaultIteratorOptions
	o.Prefix, o.PrefetchValues = feedPrefix(prefixEntry, author), false // see scan
	it := txn.NewIterator(o)
	defer it.Close()
	var out []storedEntry
	for it.Seek(entryKey(author, from)); it.Valid() && (limit <= 0 || len(out) < limit); it.Next() {
		_, seq, ok := parseFeedSeq(prefixEntry, it.Item().Key())
		if !ok {
			return nil, fmt.Errorf("%w: malformed entry key of %d bytes", ErrCorrupt, len(it.Item().Key()))
		}
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return nil, err
		}
		out = append(out, storedEntry{seq: seq, raw: v})
	}
	return out, nil
}

// decodeStored decodes stored entry bytes and checks they sit under the
// right key.
func decodeStored(author crypto.PublicKey, seq uint64, raw []byte) (*protocol.Entry, error) {
	e, err := protocol.DecodeEntry(raw)
	if err != nil {
		return nil, fmt.Errorf("decode stored entry %s #%d: %w: %w", author, seq, ErrCorrupt, err)
	}
	if e.Author != author || e.Seq != seq {
		return nil, fmt.Errorf("decode stored entry %s #%d: %w: it is entry %s #%d", author, seq, ErrCorrupt, e.Author, e.Seq)
	}
	return e, nil
}

// scan calls fn with every key and value under prefix, in key order. The
// slices are valid only during the call.
//
// Values are read in place, not prefetched: a value under Badger's
// ValueThreshold (1 MiB, which covers heads, partners and almost every
// entry) sits in the LSM tree, so Badger's prefetch would only copy it, on
// a goroutine of its own per item; a larger one is read from the value log
// when fn needs it. An idle node with 60 partners read its heads that way
// about 100 times a second, each a goroutine started and waited for.
func scan(txn *badger.Txn, prefix []byte, fn func(k, v []byte) error) error {
	o := badger.DefaultIteratorOptions
	o.Prefix, o.PrefetchValues = prefix, false
	it := txn.NewIterator(o)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		err := item.Value(func(v []byte) error { return fn(item.Key(), v) })
		if err != nil {
			return err
		}
	}
	return nil
}
