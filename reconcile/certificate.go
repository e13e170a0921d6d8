package reconcile

import "github.com/kpnode/kpnode/protocol"

// certificate is the State's compact copy of a certificate: the fields
// the rules read, read through the methods below, which answer what the
// protocol.Certificate's fields of the same names hold. What repeats from
// certificate to certificate (the issuer, issuing authority, destination
// and origins; a trader's name, country and address) is kept once and
// pointed to; dates are packed in 32 bits; the number, licences and lines
// are the certificate's own. It takes 128 bytes and its lines, where a
// protocol.Certificate took 352 (BenchmarkStateMemory). The version, what
// it supersedes (the State's chains keep that) and attachments are not
// kept: no rule reads them. A certificate is never modified once made.
type certificate struct {
	num     string
	route   *route                     // issuer, issuing authority, destination, origins
	traders [2]trader                  // exporter, importer
	ls      []protocol.CertificateLine // capacity len(ls): no append reaches another's
	carats  protocol.Carats
	value   protocol.USD
	dates   [2]protocol.PackedDate // issued, expires
	nParcel int32
}

// route is what certificates of one issuer to one destination repeat.
type route struct {
	issuer, authority, destination string
	origin                         []string
}

// trader is a party to a certificate: its name, country and address,
// shared, and its own licence.
type trader struct {
	party   *party
	licence string
}

// party is a trader's name, country and address.
type party struct{ name, country, address string }

func (c *certificate) number() string                    { return c.num }
func (c *certificate) issuer() string                    { return c.route.issuer }
func (c *certificate) authority() string                 { return c.route.authority }
func (c *certificate) destination() string               { return c.route.destination }
func (c *certificate) origin() []string                  { return c.route.origin } // shared: the caller must not modify it
func (c *certificate) issued() protocol.Date             { return c.dates[0].Date() }
func (c *certificate) expires() protocol.Date            { return c.dates[1].Date() }
func (c *certificate) exporter() protocol.Trader         { return c.traders[0].trader() }
func (c *certificate) importer() protocol.Trader         { return c.traders[1].trader() }
func (c *certificate) parcels() int                      { return int(c.nParcel) }
func (c *certificate) lines() []protocol.CertificateLine { return c.ls } // the caller must not modify them
func (c *certificate) totalCarats() protocol.Carats      { return c.carats }
func (c *certificate) totalValueUSD() protocol.USD       { return c.value }

// TypeName returns protocol.CertificateType, as the certificate's does.
func (c *certificate) TypeName() string { return protocol.CertificateType }

// NaturalKey returns "certificate/<issuer>/<number>", as the
// certificate's does.
func (c *certificate) NaturalKey() string {
	return protocol.CertificateType + "/" + c.issuer() + "/" + c.num
}

func (t trader) trader() protocol.Trader {
	return protocol.Trader{Name: t.party.name, Licence: t.licence, Country: t.party.country, Address: t.party.address}
}
