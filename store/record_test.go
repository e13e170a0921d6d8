package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// recordFixture: two authors whose entries interleave in time, of types
// "certificate" and "confirmation"; every third entry has no record.
type recordFixture struct {
	s       *Store
	a, b    *chain
	entries []*protocol.Entry // every entry with a record, any order
}

func newRecordFixture(t *testing.T) *recordFixture {
	f := &recordFixture{s: openMem(t), a: newChain(t), b: newChain(t)}
	f.b.offset = 30 * time.Second // b's seq n is between a's n and n+1
	for i := range 12 {
		for _, c := range []*chain{f.a, f.b} {
			typ := []string{"certificate", "confirmation"}[i%2]
			e := c.next(typ, 64)
			var rec *Record
			if i%3 != 2 {
				rec = recordFor(e)
				f.entries = append(f.entries, e)
			}
			if err := f.s.Append(e, rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// want returns the expected listing: the fixture's records matching typ
// and author, newest first.
func (f *recordFixture) want(typ string, author *crypto.PublicKey) []string {
	var out []*protocol.Entry
	for _, e := range f.entries {
		if (typ == "" || e.Type == typ) && (author == nil || e.Author == *author) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(x, y *protocol.Entry) int { return y.Time.Compare(x.Time) })
	return names(out, func(e *protocol.Entry) (crypto.PublicKey, uint64) { return e.Author, e.Seq })
}

func names[T any](xs []T, f func(T) (crypto.PublicKey, uint64)) []string {
	out := []string{}
	for _, x := range xs {
		a, seq := f(x)
		out = append(out, fmt.Sprintf("%s#%d", a.Fingerprint()[:4], seq))
	}
	return out
}

func recordNames(rs []*StoredRecord) []string {
	return names(rs, func(r *StoredRecord) (crypto.PublicKey, uint64) { return r.Author, r.Seq })
}

func TestRecordsByTypeNewestFirst(t *testing.T) {
	f := newRecordFixture(t)
	aKey := f.a.author()
	tests := []struct {
		name   string
		q      RecordQuery
		filter string
		author *crypto.PublicKey
	}{
		{"all", RecordQuery{}, "", nil},
		{"by type", RecordQuery{Type: "certificate"}, "certificate", nil},
		{"by type, limit", RecordQuery{Type: "confirmation", Limit: 3}, "confirmation", nil},
		{"by type and author", RecordQuery{Type: "certificate", Author: &aKey}, "certificate", &aKey},
		{"by author", RecordQuery{Author: &aKey, Limit: 4}, "", &aKey},
		{"unknown type", RecordQuery{Type: "statistic"}, "statistic", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.s.Records(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			want := f.want(tt.filter, tt.author)
			if tt.q.Limit > 0 {
				want = want[:min(tt.q.Limit, len(want))]
			}
			if !slices.Equal(recordNames(got), want) {
				t.Fatalf("records:\n got %v\nwant %v", recordNames(got), want)
			}
		})
	}
}

func TestRecordsPaging(t *testing.T) {
	f := newRecordFixture(t)
	for _, typ := range []string{"", "certificate"} {
		var pages []*StoredRecord
		q := RecordQuery{Type: typ, Limit: 5}
		for {
			page, err := f.s.Records(q)
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, page...)
			if len(page) < q.Limit {
				break
			}
			c := page[len(page)-1].Cursor()
			q.After = &c
		}
		if want := f.want(typ, nil); !slices.Equal(recordNames(pages), want) {
			t.Fatalf("type %q paged:\n got %v\nwant %v", typ, recordNames(pages), want)
		}
	}
}

func TestRecord(t *testing.T) {
	f := newRecordFixture(t)
	e := f.entries[0]
	r, err := f.s.Record(e.Author, e.Seq)
	if err != nil {
		t.Fatal(err)
	}
	want := recordFor(e)
	if r.Author != e.Author || r.Seq != e.Seq || !r.Time.Equal(e.Time) || r.Type != e.Type || string(r.Body) != string(want.Body) {
		t.Fatalf("record = %+v, want %+v at %s", r, want, e.Time)
	}
	_, err = f.s.Record(f.a.author(), 3) // appended without a record
	wantErr(t, err, ErrNotFound)
	_, err = f.s.Record(f.a.author(), 99)
	wantErr(t, err, ErrNotFound)
}

func TestTimeKeyOrder(t *testing.T) {
	times := []time.Time{
		time.Unix(-5, 0), time.Unix(0, 0), time.Unix(0, 1), epoch, epoch.Add(time.Nanosecond), time.Unix(1<<33, 0),
	}
	for i := 1; i < len(times); i++ {
		if string(timeKey(times[i-1])) >= string(timeKey(times[i])) {
			t.Fatalf("timeKey(%s) does not sort before timeKey(%s)", times[i-1], times[i])
		}
	}
	for _, tm := range append(times, time.Time{}) {
		if got := timeFromKey(timeKey(tm)); !got.Equal(tm) {
			t.Fatalf("timeFromKey(timeKey(%s)) = %s", tm, got)
		}
		if got := readTime(appendTime(nil, tm)); !got.Equal(tm) {
			t.Fatalf("readTime(appendTime(%s)) = %s", tm, got)
		}
	}
}

func TestNaturalKeys(t *testing.T) {
	s := openMem(t)
	a, b := newChain(t), newChain(t)
	ea, eb := a.build(2, "batch"), b.build(1, "batch")
	recs := []*Record{
		{Type: "batch", Body: []byte(`{}`), Keys: []RecordKey{{Key: "certificate/IN/IN1", Item: 0}, {Key: "certificate/IN/IN2", Item: 1}}},
		{Type: "batch", Body: []byte(`{}`), Keys: []RecordKey{{Key: "certificate/IN/IN2", Item: 0}}},
	}
	for i, e := range ea {
		if err := s.Append(e, recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append(eb[0], &Record{Type: "batch", Body: []byte(`{}`), Keys: []RecordKey{{Key: "certificate/IN/IN2"}}}); err != nil {
		t.Fatal(err)
	}
	refs, err := s.LookupKey("certificate/IN/IN2")
	if err != nil || len(refs) != 2 {
		t.Fatalf("LookupKey = %+v, %v; want two authors", refs, err)
	}
	for _, r := range refs {
		switch r.Author {
		case a.author():
			if r.Seq != 1 || r.Item != 1 {
				t.Errorf("author a: %+v, want its first record (seq 1, item 1)", r)
			}
		case b.author():
			if r.Seq != 1 || r.Item != 0 {
				t.Errorf("author b: %+v", r)
			}
		}
	}
	if refs, _ := s.LookupKey("certificate/IN/IN3"); len(refs) != 0 {
		t.Fatalf("unknown key found: %+v", refs)
	}
	if refs, _ := s.LookupKey("certificate/IN/IN"); len(refs) != 0 {
		t.Fatalf("a key prefix matched: %+v", refs)
	}
	bad := &Record{Type: "batch", Body: []byte(`{}`), Keys: []RecordKey{{Key: ""}}}
	if err := s.Append(a.next("batch", 10), bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty key: err = %v, want ErrInvalid", err)
	}
}
