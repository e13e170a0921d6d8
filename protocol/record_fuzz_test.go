package protocol

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// FuzzRecordBodies checks, for every registered record type, that the
// validator never panics, that ParseRecord returns nil with every error and
// names a field or the document in every problem, and that an accepted body
// marshals from its typed value to a body that is accepted again.
func FuzzRecordBodies(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	for _, name := range files {
		f.Add(readFile(f, name))
	}
	if _, items, err := BatchItems(readFile(f, filepath.Join(examplesDir, "batch.json"))); err == nil {
		for _, it := range items {
			f.Add(it)
		}
	}
	f.Add([]byte(`{"version":1,"supersedes":{"seq":1}}`))
	f.Add([]byte(`{"version":1,"type":"production_statistics","items":[{"version":1,"reporter":"BW","period":"2026-H1","carats":"0","value_usd":"0"}]}`))
	types := Types()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, rt := range types {
			_ = ValidateRecord(rt.Name, b)
			v, err := ParseRecord(rt.Name, b)
			if err != nil {
				ve, ok := err.(*ValidationError)
				if v != nil || !ok || len(ve.Errors) == 0 || ve.Type != rt.Name {
					t.Fatalf("%s: ParseRecord = %v, %v", rt.Name, v, err)
				}
				continue
			}
			if err := ValidateRecord(rt.Name, b); err != nil {
				t.Fatalf("%s: ParseRecord accepts what ValidateRecord refuses: %v", rt.Name, err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: marshal: %v", rt.Name, err)
			}
			if _, err := ParseRecord(rt.Name, out); err != nil {
				t.Fatalf("%s: re-encoded body rejected: %v\n%s", rt.Name, err, out)
			}
			if _, err := NaturalKey(rt.Name, b); err != nil {
				t.Fatalf("%s: NaturalKey of a valid body: %v", rt.Name, err)
			}
		}
	})
}

// FuzzQuarter checks that an accepted quarter formats back to its input,
// that Next and Prev are inverse, and that its days are exactly its own.
func FuzzQuarter(f *testing.F) {
	for _, s := range []string{"2011-Q3", "2011-Q4", "0000-Q1", "9999-Q4", "2011-Q0", "2011-q3", "2011-H2", "２０１１-Q3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuarter(s)
		if err != nil {
			if !q.IsZero() {
				t.Fatalf("quarter %v returned with error", q)
			}
			return
		}
		if q.String() != s || q.Next().Prev() != q || q.Prev().Next() != q || q.Next().Compare(q) != 1 {
			t.Fatalf("%q: String %q, Next %v, Prev %v", s, q, q.Next(), q.Prev())
		}
		if !q.Contains(q.Start()) || !q.Contains(q.End()) || q.Contains(q.Next().Start()) || q.Contains(q.Start().addDays(-1)) {
			t.Fatalf("%q: Start %v, End %v", s, q.Start(), q.End())
		}
		if QuarterOf(q.End()) != q || !q.Half().Contains(q.Start()) {
			t.Fatalf("%q: QuarterOf(End) %v, Half %v", s, QuarterOf(q.End()), q.Half())
		}
		var back Quarter
		if err := back.UnmarshalText([]byte(q.String())); err != nil || back != q {
			t.Fatalf("%q: text round trip %v, %v", s, back, err)
		}
	})
}

// FuzzHalf is FuzzQuarter for half-years.
func FuzzHalf(f *testing.F) {
	for _, s := range []string{"2011-H2", "2011-H1", "0000-H1", "9999-H2", "2011-H3", "2011-Q2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHalf(s)
		if err != nil {
			if !h.IsZero() {
				t.Fatalf("half %v returned with error", h)
			}
			return
		}
		if h.String() != s || h.Next().Prev() != h || h.Prev().Next() != h {
			t.Fatalf("%q: String %q, Next %v, Prev %v", s, h, h.Next(), h.Prev())
		}
		qs := h.Quarters()
		if !h.Contains(h.Start()) || !h.Contains(h.End()) || h.Contains(h.Next().Start()) ||
			qs[0].Start() != h.Start() || qs[1].End() != h.End() || qs[0].Half() != h {
			t.Fatalf("%q: Start %v, End %v, Quarters %v", s, h.Start(), h.End(), qs)
		}
	})
}
