package reconcile

import (
	"slices"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// R4 duplicate-certificate: the same (issuer, number) imported twice (two
// confirmations with different data from one importing authority), into two
// participants (confirmations from two authorities), or recorded twice with
// different data (certificate records that do not supersede each other).
// Identical copies are not duplicates.
func (s *State) checkDuplicate(sl *slot, out []Finding) []Finding {
	var why problems
	if n := distinctCerts(sl.certs); n > 1 {
		why.add("%d certificate records with different data", n)
	}
	var authors []string
	for _, r := range sl.confs {
		if !slices.ContainsFunc(authors, func(a string) bool { return sameAuthority(a, r.author()) }) {
			authors = append(authors, r.author())
		}
	}
	if len(authors) > 1 {
		why.add("imported into %d participants: %s", len(authors), strings.Join(authors, ", "))
	}
	for _, a := range authors {
		if n := distinctConfs(sl.confs, a); n > 1 {
			why.add("imported %d times by %s", n, a)
		}
	}
	if len(why) == 0 {
		return out
	}
	f := s.slotFinding(ruleDuplicate, sl, "")
	f.Numbers = map[string]string{
		"certificate_records": itoa(int64(len(sl.certs))),
		"confirmations":       itoa(int64(len(sl.confs))),
	}
	f.Explanation = sprintf("duplicate certificate %s: %s", sl.name(), why)
	return append(out, f)
}

// distinctCerts counts the certificates with different data.
func distinctCerts(rs []*rec) int {
	var seen []*certificate
	for _, r := range rs {
		c := r.cert()
		if !slices.ContainsFunc(seen, func(o *certificate) bool { return sameCertificate(o, c) }) {
			seen = append(seen, c)
		}
	}
	return len(seen)
}

// distinctConfs counts author's confirmations with different data.
func distinctConfs(rs []*rec, author string) int {
	var seen []*protocol.ImportConfirmation
	for _, r := range rs {
		if r.author() != author {
			continue
		}
		c := r.conf()
		if !slices.ContainsFunc(seen, func(o *protocol.ImportConfirmation) bool { return sameConfirmation(o, c) }) {
			seen = append(seen, c)
		}
	}
	return len(seen)
}

// sameCertificate compares the data of two certificates, not their version
// or what they supersede (which the State's copies do not keep).
func sameCertificate(x, y *certificate) bool {
	return x.number() == y.number() && x.issuer() == y.issuer() && x.authority() == y.authority() &&
		x.issued() == y.issued() && x.expires() == y.expires() && x.exporter() == y.exporter() && x.importer() == y.importer() &&
		x.destination() == y.destination() && slices.Equal(x.origin(), y.origin()) && x.parcels() == y.parcels() &&
		slices.Equal(x.lines(), y.lines()) && x.totalCarats() == y.totalCarats() && x.totalValueUSD() == y.totalValueUSD()
}

func sameConfirmation(a, b *protocol.ImportConfirmation) bool {
	x, y := *a, *b
	x.Version, y.Version, x.Supersedes, y.Supersedes = 0, 0, nil, nil
	return x == y
}
