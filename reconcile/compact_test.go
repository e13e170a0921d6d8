package reconcile

import (
	"reflect"
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
