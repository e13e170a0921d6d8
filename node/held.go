package node

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// HeldRecord is one record this node holds, its own or a partner's: a
// single record or one item of a batch entry.
type HeldRecord struct {
	Feed  string           // author's participant code
	key   crypto.PublicKey // the feed's key: after a rotation one code has two feeds
	Seq   uint64
	Item  int
	batch bool      // an item of a batch entry (Item its index), not a lone record
	Time  time.Time // the entry's time
	Type  string
	Body  []byte
	Value protocol.Record // *protocol.Certificate, …
}

// heldRecordsOf returns every readable record of type typ of one feed
// (author nil: of every feed), single or in batches, oldest entry first.
// Records that fail their validator are skipped (they were counted when
// they arrived), and so are records a pinned partner wrote in another
// authority's name (evidence, R13): they are nobody's exports or
// statistics.
func (n *Node) heldRecordsOf(typ string, author *crypto.PublicKey) ([]HeldRecord, error) {
	var out []HeldRecord
	types := []string{typ}
	if slices.Contains(protocol.BatchTypes, typ) { // no batch holds other types
		types = append(types, protocol.BatchType)
	}
	for _, t := range types {
		err := n.eachRecord(store.RecordQuery{Type: t, Author: author}, func(r *store.StoredRecord) {
			out = append(out, n.expand(r, typ)...)
		})
		if err != nil {
			return nil, fmt.Errorf("list %s records: %w", t, err)
		}
	}
	sortHeld(out)
	return out, nil
}

// sortHeld sorts recs in feed order: by code, key, seq and item.
func sortHeld(recs []HeldRecord) {
	slices.SortFunc(recs, func(a, b HeldRecord) int {
		if a.Feed != b.Feed {
			return cmp.Compare(a.Feed, b.Feed)
		}
		if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		if a.Seq != b.Seq {
			return cmp.Compare(a.Seq, b.Seq)
		}
		return a.Item - b.Item
	})
}

// heldPage is how many stored records heldRecordsOf reads at a time, so
// that no read transaction spans every record of a type.
const heldPage = 5000

// eachRecord calls fn for every stored record q selects (q.Limit and
// q.After are the pages'), newest first, reading a page at a time.
func (n *Node) eachRecord(q store.RecordQuery, fn func(*store.StoredRecord)) error {
	q.Limit, q.After = heldPage, nil
	for {
		recs, err := n.st.Records(q)
		if err != nil {
			return err
		}
		for _, r := range recs {
			fn(r)
		}
		if len(recs) < q.Limit {
			return nil
		}
		c := recs[len(recs)-1].Cursor()
		q.After = &c
	}
}

// expand turns a stored record into the held records of type typ it holds.
func (n *Node) expand(r *store.StoredRecord, typ string) []HeldRecord {
	code, known := n.roster.Snapshot().FeedCode(r.Author)
	if !known {
		code = r.Author.Fingerprint()
	}
	foreign := func(v protocol.Record) bool { return known && protocol.CheckAuthor(code, v) != nil }
	if r.Type != protocol.BatchType {
		v, err := protocol.ParseRecord(typ, r.Body)
		if err != nil || foreign(v) {
			return nil
		}
		return []HeldRecord{{Feed: code, key: r.Author, Seq: r.Seq, Time: r.Time.UTC(), Type: typ, Body: r.Body, Value: v}}
	}
	b, err := protocol.ParseBatch(r.Body)
	if err != nil || b.Type != typ {
		return nil
	}
	out := make([]HeldRecord, 0, len(b.Records))
	for i, v := range b.Records {
		if !foreign(v) {
			out = append(out, HeldRecord{Feed: code, key: r.Author, Seq: r.Seq, Item: i, batch: true, Time: r.Time.UTC(), Type: typ, Body: b.Items[i], Value: v})
		}
	}
	return out
}
