package reconcile

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// The State keeps every current certificate for as long as it is current:
// the rules compare whole certificates (R6), their traders (R1) and their
// lines (R8, R10). It keeps its own compact copy (certificate.go), whose
// repeated parts (the issuer, issuing authority, destination and origins;
// the traders' names, countries and addresses) are shared with the
// certificates before it, so that the parsed certificate the caller gave,
// with a string of its own for every field, is not what stays: 100,000
// imported certificates held 57 MB of parsed certificates, then 46 MB of
// copies with shared strings (BenchmarkStateMemory). The copy answers
// every field the rules read as the original holds it.

// interner makes the State's certificates and hands out one copy of each
// route and party it was given. It grows with the distinct routes and
// parties, which repeat from certificate to certificate, and is owned by
// its State.
type interner struct {
	routes  map[string]*route
	parties map[string]*party
	recent  [4]*party                  // parties just handed out: most certificates repeat the last one's, and comparing costs less than hashing
	last    *route                     // the route just handed out
	key     []byte                     // scratch for a map key
	certs   blocks[certificate]        // where the copies are allocated (blocks.go)
	free    []protocol.CertificateLine // the rest of the current block of lines
}

// maxLinesBlock is the lines of a block of lines (8 KiB); a certificate
// with more gets lines of its own.
const maxLinesBlock = 256

// compactCert returns the State's copy of c; false when a field of c
// does not fit the copy (a date outside protocol.PackedDate's range, more than
// 2³¹ parcels), which ParseCertificate never returns.
func (t *interner) compactCert(c *protocol.Certificate) (*certificate, bool) {
	issued, ok1 := protocol.PackDate(c.Issued)
	expires, ok2 := protocol.PackDate(c.Expires)
	if !ok1 || !ok2 || int64(c.Parcels) != int64(int32(c.Parcels)) {
		return nil, false
	}
	k := t.certs.next()
	*k = certificate{
		num:     strings.Clone(c.Number),
		route:   t.routeOf(c),
		traders: [2]trader{t.trader(c.Exporter), t.trader(c.Importer)},
		carats:  c.TotalCarats,
		value:   c.TotalValueUSD,
		dates:   [2]protocol.PackedDate{issued, expires},
		nParcel: int32(c.Parcels),
	}
	if c.Lines != nil {
		k.ls = t.newLines(len(c.Lines))
		for i, l := range c.Lines {
			k.ls[i] = protocol.CertificateLine{HSCode: t.hsCode(l.HSCode), Carats: l.Carats, ValueUSD: l.ValueUSD}
		}
	}
	return k, true
}

// routeOf returns the route of c that t keeps.
func (t *interner) routeOf(c *protocol.Certificate) *route {
	if r := t.last; r != nil && r.issuer == c.Issuer && r.authority == c.IssuingAuthority && r.destination == c.Destination &&
		slices.Equal(r.origin, c.Origin) && (r.origin == nil) == (c.Origin == nil) {
		return r
	}
	t.key = appendKey(t.key[:0], c.Issuer, c.IssuingAuthority, c.Destination)
	if c.Origin != nil { // nil and empty origins stay apart
		t.key = append(t.key, 1)
		t.key = appendKey(t.key, c.Origin...)
	}
	r, ok := t.routes[string(t.key)]
	if !ok {
		r = &route{strings.Clone(c.Issuer), strings.Clone(c.IssuingAuthority), strings.Clone(c.Destination), cloneStrings(c.Origin)}
		if t.routes == nil {
			t.routes = map[string]*route{}
		}
		t.routes[string(t.key)] = r
	}
	t.last = r
	return r
}

// trader returns the State's copy of v.
func (t *interner) trader(v protocol.Trader) trader {
	return trader{party: t.partyOf(v.Name, v.Country, v.Address), licence: strings.Clone(v.Licence)}
}

// partyOf returns the party that t keeps.
func (t *interner) partyOf(name, country, address string) *party {
	c := &t.recent[(len(name)+len(address))%len(t.recent)]
	if p := *c; p != nil && p.name == name && p.country == country && p.address == address {
		return p
	}
	t.key = appendKey(t.key[:0], name, country, address)
	p, ok := t.parties[string(t.key)]
	if !ok {
		p = &party{strings.Clone(name), strings.Clone(country), strings.Clone(address)}
		if t.parties == nil {
			t.parties = map[string]*party{}
		}
		t.parties[string(t.key)] = p
	}
	*c = p
	return p
}

// hsCode returns v, shared when it is one of protocol.HSCodes.
func (t *interner) hsCode(v string) string {
	for _, hs := range hsCodes {
		if hs == v {
			return hs
		}
	}
	return strings.Clone(v)
}

// hsCodes is protocol.HSCodes, whose strings the lines share.
var hsCodes = protocol.HSCodes()

// appendKey appends each of vs to key, each preceded by its length, so
// that no two lists of strings give one key.
func appendKey(key []byte, vs ...string) []byte {
	for _, v := range vs {
		key = binary.AppendUvarint(key, uint64(len(v)))
		key = append(key, v...)
	}
	return key
}

func cloneStrings(vs []string) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.Clone(v)
	}
	return out
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
