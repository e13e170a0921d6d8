package reconcile

import (
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/kpnode/kpnode/protocol"
)

// TestCompactCertEqual checks that the State's copy of a certificate is
// equal to the certificate field by field (so no rule, finding or
// explanation can tell them apart), shares the repeated strings of the
// certificates before it, and shares nothing with the caller's value.
func TestCompactCertEqual(t *testing.T) {
	var in interner
	g := newGenerator(3, "IN", "BE", "2026-01-01", 365)
	var prev *protocol.Certificate
	for i := range 300 {
		c := g.cert(i)
		switch i % 3 {
		case 1:
			c.Supersedes = &protocol.Supersedes{Seq: 4, Item: 2}
			c.Exporter.Address = "12 Diamond Street, Mumbai"
		case 2:
			c.Lines, c.Origin = nil, nil
		}
		k := in.compactCert(c)
		if !reflect.DeepEqual(k, c) {
			t.Fatalf("certificate %d: copy %+v, original %+v", i, k, c)
		}
		if unsafe.StringData(k.Number) == unsafe.StringData(c.Number) || len(c.Lines) > 0 && &k.Lines[0] == &c.Lines[0] || cap(k.Lines) != len(k.Lines) {
			t.Fatalf("certificate %d: the copy shares the caller's number or lines, or its lines can grow into another's", i)
		}
		if prev != nil && unsafe.StringData(k.IssuingAuthority) != unsafe.StringData(prev.IssuingAuthority) {
			t.Fatalf("certificate %d: issuing authority %q not shared with the one before", i, k.IssuingAuthority)
		}
		prev = k
	}
}

// TestSharedRecordsStayApart checks that findings which name the same
// records (a certificate's R2 and R8 findings) come out as copies:
// changing what one finding read says changes no other finding.
func TestSharedRecordsStayApart(t *testing.T) {
	s := newState(t, "IN")
	s.AddAll(importYear(1000))
	fs := s.Findings(at("2026-12-07"))
	first := map[string]Finding{} // by the key of its first record
	pairs := 0
	for _, a := range fs {
		if len(a.Records) == 0 {
			continue
		}
		b, ok := first[a.Records[0].Key]
		if !ok {
			first[a.Records[0].Key] = a
			continue
		}
		if !reflect.DeepEqual(a.Records, b.Records) {
			continue
		}
		pairs++
		want := slices.Clone(a.Records)
		got, _ := s.Finding(a.ID)
		got.Records[0].Key = "changed"
		if again, _ := s.Finding(b.ID); !reflect.DeepEqual(again.Records, want) {
			t.Fatalf("changing the records read of %s changed %s: %+v", a.ID, b.ID, again.Records)
		}
		if again, _ := s.Finding(a.ID); !reflect.DeepEqual(again.Records, want) {
			t.Fatalf("changing the records read of %s changed it in the State: %+v", a.ID, again.Records)
		}
	}
	if pairs == 0 {
		t.Fatal("no two findings name the same records: the test checks nothing")
	}
}
