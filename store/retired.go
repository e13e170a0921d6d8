package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// prefixRefused keeps entries refused because their key was retired (a
// rotation's hand-over, or an operator's re-pin after a compromise) and
// they lie after the last seq the key was valid for:
//
//	"y/" author(32) seq(8) hash(32) -> seen(8) reason length(1) reason entry bytes
//
// They are evidence (someone signed with a retired key), never part of a
// feed.
const prefixRefused = "y/"

// truncateChunk bounds the entries taken out of a feed per transaction.
const truncateChunk = 128

// RefusedEntry is an entry signed by a retired key after its last valid
// seq, kept as evidence.
type RefusedEntry struct {
	Author crypto.PublicKey
	Seq    uint64
	Reason string    // "after_handover", "after_compromise", …
	Seen   time.Time // first sighting
	Bytes  []byte    // the entry's wire bytes
}

func refusedKey(a crypto.PublicKey, seq uint64, h protocol.Hash) []byte {
	return makeKey(prefixRefused, a[:], be64(seq), h[:])
}

func encodeRefused(r *RefusedEntry) []byte {
	b := appendTime(nil, r.Seen)
	b = append(b, byte(len(r.Reason)))
	b = append(b, r.Reason...)
	return append(b, r.Bytes...)
}

func decodeRefused(k, v []byte) (RefusedEntry, error) {
	var r RefusedEntry
	rest, ok := bytes.CutPrefix(k, []byte(prefixRefused))
	if !ok || len(rest) != feedSeqLen+hashLen || len(v) < 9 || len(v) < 9+int(v[8]) {
		return r, fmt.Errorf("%w: malformed refused-entry key of %d bytes", ErrCorrupt, len(k))
	}
	copy(r.Author[:], rest)
	r.Seq = binary.BigEndian.Uint64(rest[authorLen:])
	r.Seen = readTime(v)
	n := 9 + int(v[8])
	r.Reason, r.Bytes = string(v[9:n]), bytes.Clone(v[n:])
	return r, nil
}

// KeepRefused records raw, an entry of author at seq refused for reason,
// as evidence. Recording the same entry again keeps the first sighting.
func (s *Store) KeepRefused(author crypto.PublicKey, seq uint64, raw []byte, reason string) error {
	if len(reason) == 0 || len(reason) > 255 {
		return fmt.Errorf("keep refused entry: %w: reason of %d bytes", ErrInvalid, len(reason))
	}
	if err := s.checkSize("refused entry", len(raw)+9+len(reason)); err != nil {
		return err
	}
	err := s.update(func(txn *badger.Txn) error {
		return keepRefused(txn, &RefusedEntry{Author: author, Seq: seq, Reason: reason, Seen: s.now(), Bytes: raw})
	})
	if err != nil {
		return fmt.Errorf("keep refused entry %s #%d: %w", author, seq, err)
	}
	return nil
}

func keepRefused(txn *badger.Txn, r *RefusedEntry) error {
	k := refusedKey(r.Author, r.Seq, hashBytes(r.Bytes))
	if ok, err := has(txn, k); err != nil || ok {
		return err
	}
	return txn.Set(k, encodeRefused(r))
}

// Refused returns every refused entry kept as evidence, by author and seq.
func (s *Store) Refused() ([]RefusedEntry, error) {
	var out []RefusedEntry
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, []byte(prefixRefused), func(k, v []byte) error {
			r, err := decodeRefused(k, v)
			out = append(out, r)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read refused entries: %w", err)
	}
	return out, nil
}

// TruncateFeed takes the entries of author's feed after seq validThrough
// out of the feed: each is kept as a refused entry (see [Store.Refused])
// with reason, its record and indexes are deleted, and the head moves
// back to validThrough. It works from the head down in transactions of a
// bounded size, so the feed is a valid chain after each; the caller
// appends its audit record once it returns. It returns how many entries
// it took out.
func (s *Store) TruncateFeed(author crypto.PublicKey, validThrough uint64, reason string) (int, error) {
	if len(reason) == 0 || len(reason) > 255 {
		return 0, fmt.Errorf("truncate feed: %w: reason of %d bytes", ErrInvalid, len(reason))
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	defer s.heads.drop() // the head moved back: read it again from Badger
	total := 0
	for {
		n := 0
		err := s.update(func(txn *badger.Txn) error {
			var err error
			n, err = truncateTxn(txn, author, validThrough, reason, s.now())
			return err
		})
		if err != nil {
			return total, fmt.Errorf("truncate feed %s after %d: %w", author, validThrough, err)
		}
		if total += n; n < truncateChunk {
			return total, nil
		}
	}
}

// truncateTxn moves up to truncateChunk entries from the top of the feed
// to the refused entries, then sets the head to the entry below them.
func truncateTxn(txn *badger.Txn, a crypto.PublicKey, validThrough uint64, reason string, now time.Time) (int, error) {
	head, err := readHead(txn, a)
	if err != nil || head.Seq <= validThrough {
		return 0, err
	}
	low := max(validThrough+1, head.Seq-min(head.Seq, truncateChunk)+1)
	gone := map[uint64]bool{}
	for seq := head.Seq; seq >= low; seq-- {
		if err := takeOut(txn, a, seq, reason, now); err != nil {
			return 0, err
		}
		gone[seq] = true
	}
	if err := dropNaturalKeys(txn, a, gone); err != nil {
		return 0, err
	}
	return len(gone), setHeadAt(txn, a, low-1)
}

// takeOut moves one entry to the refused entries and deletes its record
// and the record's time and type indexes.
func takeOut(txn *badger.Txn, a crypto.PublicKey, seq uint64, reason string, now time.Time) error {
	raw, err := getValue(txn, entryKey(a, seq))
	if err != nil {
		return fmt.Errorf("read entry %d: %w", seq, err)
	}
	if err := keepRefused(txn, &RefusedEntry{Author: a, Seq: seq, Reason: reason, Seen: now, Bytes: raw}); err != nil {
		return err
	}
	if err := txn.Delete(entryKey(a, seq)); err != nil {
		return err
	}
	rec, err := readRecord(txn, a, seq)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read record %d: %w", seq, err)
	}
	for _, k := range append(indexKeys(rec.Type, rec.Time, a, seq), recordKey(a, seq)) {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// dropNaturalKeys deletes the natural-key index entries of author that
// point at the seqs in gone. The index is keyed by natural key first, so
// this walks all of it: truncation is a rare operator action.
func dropNaturalKeys(txn *badger.Txn, a crypto.PublicKey, gone map[uint64]bool) error {
	var del [][]byte
	err := scan(txn, []byte(prefixNaturalKey), func(k, v []byte) error {
		if len(k) >= authorLen && bytes.Equal(k[len(k)-authorLen:], a[:]) && len(v) >= 8 && gone[uint64FromBE(v)] {
			del = append(del, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range del {
		if err == nil {
			err = txn.Delete(k)
		}
	}
	return err
}

// setHeadAt makes the stored entry seq the head of a's feed (none for 0).
func setHeadAt(txn *badger.Txn, a crypto.PublicKey, seq uint64) error {
	if seq == 0 {
		return txn.Delete(headKey(a))
	}
	raw, err := getValue(txn, entryKey(a, seq))
	if err != nil {
		return fmt.Errorf("read entry %d: %w", seq, err)
	}
	e, err := protocol.DecodeEntry(raw)
	if err != nil {
		return fmt.Errorf("%w: entry %d: %w", ErrCorrupt, seq, err)
	}
	return txn.Set(headKey(a), encodeHead(Head{Seq: seq, Hash: hashBytes(raw), Time: e.Time}))
}
