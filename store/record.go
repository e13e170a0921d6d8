package store

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// Record is the decrypted record carried by an entry, as passed to
// [Store.Append]: its type and its JSON body.
type Record struct {
	Type string
	Body []byte
	// Keys are the natural keys of the record (of each item, for a
	// batch), indexed for [Store.LookupKey].
	Keys []RecordKey
	// Salt is the salt that, with Body, opens the entry's commitment
	// (protocol.OpenRecord returns it), kept for evidence bundles; nil
	// when unknown, else protocol.SaltSize bytes.
	Salt []byte

	// value is the record's stored value, encoded by normaliseRecord
	// (which leaves Body and Salt nil).
	value []byte
}

// StoredRecord is a record as read back, with the entry it came from.
type StoredRecord struct {
	Author crypto.PublicKey
	Seq    uint64
	Time   time.Time // the entry's time, as its author signed it
	// Held is when this node first held the entry, by its own clock; zero
	// for an entry stored before the store kept it.
	Held time.Time
	Type string
	Body []byte
	Salt []byte // nil for a record stored without its salt (layout 1)
}

// Cursor is a position in a newest-first listing of records; see
// [RecordQuery].After.
type Cursor struct {
	Time   time.Time
	Author crypto.PublicKey
	Seq    uint64
}

// Cursor returns r's position, to continue a listing after it.
func (r *StoredRecord) Cursor() Cursor { return Cursor{Time: r.Time, Author: r.Author, Seq: r.Seq} }

// RecordQuery selects records for [Store.Records]. Records come newest
// first (by entry time, then author and seq, descending).
type RecordQuery struct {
	Type   string            // only this type; "" for every type
	Author *crypto.PublicKey // only this author; nil for every author
	Limit  int               // at most this many; <= 0 for all
	After  *Cursor           // only records listed after this position
}

// maxTypeLen bounds record types; the type is part of index keys.
const maxTypeLen = 255

// Record value encodings, the first byte of every record value: whether
// the salt comes before the body, and whether the body is stored as it is
// or compressed (record_codec.go). recordEncoding has no salt (all records
// of layout 1, and records stored without one), recordEncodingSalted has
// it; the Zstd ones are the same with the body compressed (layout 3). A
// store may hold all four, and every build since layout 3 reads them all.
const (
	recordEncoding           = 1
	recordEncodingSalted     = 2
	recordEncodingZstd       = 3
	recordEncodingSaltedZstd = 4
)

// recordHeaderLen is encoding(1) time(8) type length(1).
const recordHeaderLen = 1 + 8 + 1

// normaliseRecord checks rec against its entry, fills in its type and
// encodes its value (compressing the body, outside the store's locks).
func normaliseRecord(e *protocol.Entry, rec *Record) (*Record, error) {
	if rec == nil {
		return nil, nil
	}
	if err := checkNaturalKeys(rec.Keys); err != nil {
		return nil, err
	}
	if rec.Salt != nil && len(rec.Salt) != protocol.SaltSize {
		return nil, fmt.Errorf("%w: record salt of %d bytes, want %d", ErrInvalid, len(rec.Salt), protocol.SaltSize)
	}
	r := Record{Type: rec.Type, Body: rec.Body, Keys: rec.Keys, Salt: rec.Salt}
	if r.Type == "" {
		r.Type = e.Type
	}
	switch {
	case r.Type != e.Type:
		return nil, fmt.Errorf("%w: record type %q differs from entry type %q", ErrInvalid, r.Type, e.Type)
	case r.Type == "" || len(r.Type) > maxTypeLen || bytes.IndexByte([]byte(r.Type), 0) >= 0:
		return nil, fmt.Errorf("%w: record type %q: want 1..%d bytes without NUL", ErrInvalid, r.Type, maxTypeLen)
	}
	r.value = encodeRecord(e.Time, &r)
	r.Body, r.Salt = nil, nil // in value now; the caller's slices are not kept
	return &r, nil
}

// encodeRecord encodes a record value, with its body compressed when that
// makes it smaller.
func encodeRecord(t time.Time, rec *Record) []byte {
	b := make([]byte, 0, recordSize(rec))
	b = append(b, 0) // the encoding, once the body is written
	b = appendTime(b, t)
	b = append(b, byte(len(rec.Type)))
	b = append(b, rec.Type...)
	b = append(b, rec.Salt...)
	b, zipped := appendCompressed(b, rec.Body)
	if !zipped {
		b = append(b, rec.Body...)
	}
	b[0] = recordEncodingOf(rec.Salt != nil, zipped)
	return b
}

// recordEncodingOf is the encoding of a record value with or without a
// salt and with its body compressed or not.
func recordEncodingOf(salted, zipped bool) byte {
	e := byte(recordEncoding)
	if salted {
		e = recordEncodingSalted
	}
	if zipped {
		e += recordEncodingZstd - recordEncoding
	}
	return e
}

// recordSize is the size of rec's value with its body as it is: the most
// its encoding takes.
func recordSize(rec *Record) int {
	return recordHeaderLen + len(rec.Type) + len(rec.Salt) + len(rec.Body)
}

// decodeRecord decodes a record value into r (Author and Seq untouched),
// decompressing its body.
func decodeRecord(v []byte, r *StoredRecord) error {
	if len(v) < recordHeaderLen || v[0] < recordEncoding || v[0] > recordEncodingSaltedZstd {
		return fmt.Errorf("%w: malformed record value (%d bytes)", ErrCorrupt, len(v))
	}
	n := recordHeaderLen + int(v[recordHeaderLen-1])
	if len(v) < n {
		return fmt.Errorf("%w: record value truncated in its type", ErrCorrupt)
	}
	r.Time = readTime(v[1:])
	r.Type = string(v[recordHeaderLen:n])
	if v[0] == recordEncodingSalted || v[0] == recordEncodingSaltedZstd {
		if len(v) < n+protocol.SaltSize {
			return fmt.Errorf("%w: record value truncated in its salt", ErrCorrupt)
		}
		r.Salt, n = bytes.Clone(v[n:n+protocol.SaltSize]), n+protocol.SaltSize
	}
	if v[0] < recordEncodingZstd {
		r.Body = bytes.Clone(v[n:])
		return nil
	}
	var err error
	r.Body, err = decompressBody(v[n:])
	return err
}

// indexKeys are the index keys of a record.
func indexKeys(typ string, t time.Time, a crypto.PublicKey, seq uint64) [][]byte {
	return [][]byte{typeIndexKey(typ, t, a, seq), timeIndexKey(t, a, seq)}
}

// writeRecord writes rec, as normaliseRecord made it, with its index keys.
func writeRecord(txn *badger.Txn, a crypto.PublicKey, seq uint64, t time.Time, rec *Record) error {
	if err := txn.Set(recordKey(a, seq), rec.value); err != nil {
		return fmt.Errorf("write record: %w", err)
	}
	for _, k := range indexKeys(rec.Type, t, a, seq) {
		if err := txn.Set(k, nil); err != nil {
			return fmt.Errorf("write record index: %w", err)
		}
	}
	return writeNaturalKeys(txn, a, seq, rec.Keys)
}

// Record returns the record of author's entry seq. It returns
// [ErrNotFound] when the entry is not stored or this node could not read
// it.
func (s *Store) Record(author crypto.PublicKey, seq uint64) (*StoredRecord, error) {
	var r *StoredRecord
	err := s.view(func(txn *badger.Txn) error {
		var err error
		r, err = readRecord(txn, author, seq)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read record %s #%d: %w", author, seq, err)
	}
	return r, nil
}

func readRecord(txn *badger.Txn, a crypto.PublicKey, seq uint64) (*StoredRecord, error) {
	v, err := getValue(txn, recordKey(a, seq))
	if err != nil {
		return nil, err
	}
	r := &StoredRecord{Author: a, Seq: seq}
	if err := decodeRecord(v, r); err != nil {
		return r, err
	}
	r.Held, err = readHeld(txn, a, seq)
	return r, err
}

// readHeld returns when this node first held author a's entry seq, or
// the zero Time for an entry stored before the store kept it.
func readHeld(txn *badger.Txn, a crypto.PublicKey, seq uint64) (time.Time, error) {
	h, err := getValue(txn, heldKey(a, seq))
	switch {
	case errors.Is(err, ErrNotFound):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, err
	case len(h) != 8:
		return time.Time{}, fmt.Errorf("%w: first-held time of %s #%d is %d bytes", ErrCorrupt, a, seq, len(h))
	}
	return readTime(h), nil
}

// Held returns when this node first held author's entry seq, by its own
// clock, written in the transaction that appended it; the zero Time when
// the entry is not stored or was stored before the store kept it.
func (s *Store) Held(author crypto.PublicKey, seq uint64) (time.Time, error) {
	var t time.Time
	err := s.view(func(txn *badger.Txn) error {
		var err error
		t, err = readHeld(txn, author, seq)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("read first-held time %s #%d: %w", author, seq, err)
	}
	return t, nil
}

// Records lists records newest first as q selects them. A type filter uses
// the type index; an author filter is applied while walking the index.
func (s *Store) Records(q RecordQuery) ([]*StoredRecord, error) {
	var out []*StoredRecord
	err := s.view(func(txn *badger.Txn) error {
		var err error
		out, err = queryRecords(txn, q)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	return out, nil
}

func queryRecords(txn *badger.Txn, q RecordQuery) ([]*StoredRecord, error) {
	prefix, start := queryRange(q)
	o := badger.DefaultIteratorOptions
	o.Prefix, o.Reverse, o.PrefetchValues = prefix, true, false
	it := txn.NewIterator(o)
	defer it.Close()
	var out []*StoredRecord
	for it.Seek(start); it.Valid() && (q.Limit <= 0 || len(out) < q.Limit); it.Next() {
		k := it.Item().Key()
		if q.After != nil && bytes.Equal(k, start) {
			continue
		}
		r, err := indexedRecord(txn, k, q.Author)
		if err != nil {
			return nil, err
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// queryRange returns the index prefix to walk and the key to start from
// (backwards).
func queryRange(q RecordQuery) (prefix, start []byte) {
	prefix = []byte(prefixTimeIndex)
	if q.Type != "" {
		prefix = typeIndexPrefix(q.Type)
	}
	if q.After == nil {
		return prefix, prefixEnd(prefix)
	}
	c := q.After
	if q.Type != "" {
		return prefix, typeIndexKey(q.Type, c.Time, c.Author, c.Seq)
	}
	return prefix, timeIndexKey(c.Time, c.Author, c.Seq)
}

// indexedRecord reads the record an index key points to; nil when it is
// not by author (if given).
func indexedRecord(txn *badger.Txn, k []byte, author *crypto.PublicKey) (*StoredRecord, error) {
	a, seq, ok := indexTarget(k)
	if !ok {
		return nil, fmt.Errorf("%w: malformed index key of %d bytes", ErrCorrupt, len(k))
	}
	if author != nil && *author != a {
		return nil, nil
	}
	r, err := readRecord(txn, a, seq)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: index points to missing record %s #%d", ErrCorrupt, a, seq)
	}
	if err != nil {
		return nil, fmt.Errorf("read record %s #%d: %w", a, seq, err)
	}
	return r, nil
}

// indexTarget returns the record an index key points to.
func indexTarget(k []byte) (crypto.PublicKey, uint64, bool) {
	if bytes.HasPrefix(k, []byte(prefixTypeIndex)) {
		_, _, a, seq, ok := parseTypeIndex(k)
		return a, seq, ok
	}
	_, a, seq, ok := parseTimeIndex(k)
	return a, seq, ok
}
