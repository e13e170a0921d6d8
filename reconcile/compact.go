package reconcile

import (
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// The State keeps every current certificate for as long as it is current:
// the rules compare whole certificates (R6), their traders (R1) and their
// lines (R8, R10). It keeps its own copy, whose repeated strings (codes,
// the issuing authority, traders' names, the origins) are shared with the
// certificates before it, so that the parsed certificate the caller gave,
// with a string of its own for every field, is not what stays: 100,000
// imported certificates held 57 MB of parsed certificates
// (BenchmarkStateMemory). The copy is equal to the original field by
// field; only the memory behind its strings is shared.

// interner hands out one copy of each string it was given. It grows with
// the distinct strings of the fields it is used for, which repeat from
// record to record, and is owned by its State.
type interner struct {
	strs    map[string]string
	origins map[string][]string
	recent  [16]string                   // strings of strs just handed out: most fields repeat the last certificate's, and comparing costs less than hashing
	certs   blocks[protocol.Certificate] // where the copies are allocated (blocks.go)
	free    []protocol.CertificateLine   // the rest of the current block of lines
}

// maxLinesBlock is the lines of a block of lines (8 KiB); a certificate
// with more gets lines of its own.
const maxLinesBlock = 256

// str returns the string equal to v that t keeps.
func (t *interner) str(v string) string {
	if v == "" {
		return ""
	}
	c := &t.recent[(len(v)+int(v[0]))%len(t.recent)]
	if *c == v {
		return *c
	}
	if s, ok := t.strs[v]; ok {
		*c = s
		return s
	}
	if t.strs == nil {
		t.strs = map[string]string{}
	}
	v = strings.Clone(v)
	t.strs[v] = v
	*c = v
	return v
}

// origins returns a slice equal to o that t keeps; the State never
// modifies a certificate's origins, so certificates may share it.
func (t *interner) originsOf(o []string) []string {
	if len(o) == 0 {
		return o
	}
	k := strings.Join(o, "\x00")
	if s, ok := t.origins[k]; ok {
		return s
	}
	if t.origins == nil {
		t.origins = map[string][]string{}
	}
	s := make([]string, len(o))
	for i, v := range o {
		s[i] = t.str(v)
	}
	t.origins[k] = s
	return s
}

func (t *interner) trader(v protocol.Trader) protocol.Trader {
	return protocol.Trader{Name: t.str(v.Name), Licence: strings.Clone(v.Licence), Country: t.str(v.Country), Address: t.str(v.Address)}
}

// compactCert returns the State's copy of c.
func (t *interner) compactCert(c *protocol.Certificate) *protocol.Certificate {
	k := t.certs.next()
	*k = *c
	k.Number = strings.Clone(c.Number)
	k.Issuer, k.IssuingAuthority, k.Destination = t.str(c.Issuer), t.str(c.IssuingAuthority), t.str(c.Destination)
	k.Exporter, k.Importer = t.trader(c.Exporter), t.trader(c.Importer)
	k.Origin = t.originsOf(c.Origin)
	if c.Lines != nil {
		k.Lines = t.newLines(len(c.Lines))
		for i, l := range c.Lines {
			k.Lines[i] = protocol.CertificateLine{HSCode: t.str(l.HSCode), Carats: l.Carats, ValueUSD: l.ValueUSD}
		}
	}
	return k
}

// newLines returns n zero lines, their capacity n, so that an append
// cannot reach the lines of the next certificate.
func (t *interner) newLines(n int) []protocol.CertificateLine {
	if n > maxLinesBlock {
		return make([]protocol.CertificateLine, n)
	}
	if len(t.free) < n {
		t.free = make([]protocol.CertificateLine, maxLinesBlock)
	}
	l := t.free[:n:n]
	t.free = t.free[n:]
	return l
}
