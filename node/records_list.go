package node

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// ErrBadCursor is returned by [Node.Records] for a paging cursor it did
// not make.
var ErrBadCursor = errors.New("bad paging cursor")

// RecordView is a record this node holds, as listed by the API.
type RecordView struct {
	Feed   string          `json:"feed"`
	Seq    uint64          `json:"seq"`
	Time   time.Time       `json:"time"`
	Type   string          `json:"type"`
	Record json.RawMessage `json:"record"`
}

// RecordsQuery selects records for [Node.Records], newest first.
type RecordsQuery struct {
	Type   string // a record type; "" for all
	Feed   string // a participant code; "" for every feed
	Limit  int    // at most this many (1..1000; 0 means 100)
	Cursor string // continue after the last record of a previous page
}

// Records lists the records this node holds, newest first, a page at a
// time; next is the cursor of the following page, "" at the end.
func (n *Node) Records(q RecordsQuery) (views []RecordView, next string, err error) {
	sq := store.RecordQuery{Type: q.Type, Limit: min(max(q.Limit, 0), 1000)}
	if sq.Limit == 0 {
		sq.Limit = 100
	}
	if q.Feed != "" {
		k, err := n.authorKey(q.Feed)
		if err != nil {
			return nil, "", err
		}
		sq.Author = &k
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		sq.After = &c
	}
	recs, err := n.st.Records(sq)
	if err != nil {
		return nil, "", fmt.Errorf("list records: %w", err)
	}
	views = make([]RecordView, 0, len(recs))
	for _, r := range recs {
		code, _ := n.roster.Snapshot().FeedCode(r.Author)
		views = append(views, RecordView{Feed: code, Seq: r.Seq, Time: r.Time.UTC(), Type: r.Type, Record: r.Body})
	}
	if len(recs) == sq.Limit {
		next = encodeCursor(recs[len(recs)-1].Cursor())
	}
	return views, next, nil
}

// Record returns the record of entry seq of feed.
func (n *Node) Record(feed string, seq uint64) (RecordView, error) {
	k, err := n.authorKey(feed)
	if err != nil {
		return RecordView{}, err
	}
	r, err := n.st.Record(k, seq)
	if err != nil {
		return RecordView{}, fmt.Errorf("record %s/%d: %w", feed, seq, err)
	}
	return RecordView{Feed: feed, Seq: r.Seq, Time: r.Time.UTC(), Type: r.Type, Record: r.Body}, nil
}

// A cursor is time(8) author(32) seq(8), URL-safe base64.
func encodeCursor(c store.Cursor) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(c.Time.UnixNano()))
	b = append(b, c.Author[:]...)
	b = binary.BigEndian.AppendUint64(b, c.Seq)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (store.Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 8+32+8 {
		return store.Cursor{}, fmt.Errorf("%w %q", ErrBadCursor, s)
	}
	var a crypto.PublicKey
	copy(a[:], b[8:40])
	return store.Cursor{Time: time.Unix(0, int64(binary.BigEndian.Uint64(b))), Author: a,
		Seq: binary.BigEndian.Uint64(b[40:])}, nil
}
