package protocol

import (
	"math"
	"slices"
	"strings"
)

// Supersedes names an earlier entry of the same author that a record
// corrects or a [Withdrawal] withdraws: the entry's sequence number and,
// for a batch entry, the index of the item within it (0 otherwise).
type Supersedes struct {
	Seq  uint64 `json:"seq"`
	Item int    `json:"item,omitempty"`
}

// EntryRef names an entry of any feed: the participant code of the feed's
// author and the entry's sequence number.
type EntryRef struct {
	Feed string `json:"feed"`
	Seq  uint64 `json:"seq"`
}

// Trader is the exporter or importer of a shipment: a company or person
// licensed or registered with its authority.
type Trader struct {
	Name    string `json:"name"`
	Licence string `json:"licence"` // licence or registration id
	Country string `json:"country"` // country code
	// Address is the postal address as printed on the certificate (KPCS
	// Annex I), free text of up to MaxAddressLength characters; "" when
	// not stated, as in every record written before it existed.
	Address string `json:"address,omitempty"`
}

// MaxAddressLength caps a trader's address, in characters.
const MaxAddressLength = 500

// supersedes reads the optional "supersedes" member every record type
// except withdrawal accepts.
func (o *object) supersedes() *Supersedes {
	return supersedesRef(o.obj("supersedes", false))
}

func supersedesRef(o *object) *Supersedes {
	if o == nil {
		return nil
	}
	s := &Supersedes{}
	s.Seq = uint64(o.integer("seq", true, 1, math.MaxInt64))
	s.Item = int(o.integer("item", false, 0, MaxBatchItems-1))
	o.done()
	return s
}

// entryRef reads {"feed": code, "seq": n}.
func entryRef(o *object) EntryRef {
	if o == nil {
		return EntryRef{}
	}
	r := EntryRef{}
	r.Feed = o.participant("feed", true, true)
	r.Seq = uint64(o.integer("seq", true, 1, math.MaxInt64))
	o.done()
	return r
}

// trader reads a required exporter or importer object.
func (o *object) trader(name string) Trader {
	t := Trader{}
	to := o.obj(name, true)
	if to == nil {
		return t
	}
	t.Name = to.str("name", true, 200)
	t.Licence = to.identifier("licence", true, 64)
	t.Country = to.country("country", true)
	t.Address = to.text("address", false, MaxAddressLength)
	to.done()
	return t
}

// origin reads 1..20 unique country codes, or exactly ["MIXED"].
func (o *object) origin(name string, required bool) []string {
	list := o.strings(name, required, 1, 20, 5, o.c.matching(`a country code or "MIXED"`, isOrigin))
	if len(list) > 1 && slices.Contains(list, originMixed) {
		o.c.add(o.at(name), `"MIXED" must be the only origin`)
	}
	return list
}

// certificateNumber reads a canonical KP certificate number: 1..40 of
// [A-Z0-9/-], starting with a letter or digit.
func (o *object) certificateNumber(name string) string {
	return o.pattern(name, true, 40, "a certificate number of uppercase letters, digits, / and -", isCanonicalCertificateNumber)
}

func isCanonicalCertificateNumber(s string) bool {
	if s == "" || !isUpperAlnum(s[0]) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return r > 127 || !isUpperAlnum(byte(r)) && r != '/' && r != '-'
	}) < 0
}

// boolean reads a required true or false.
func (o *object) boolean(name string) bool {
	n, ok := o.get(name, true)
	if !ok {
		return false
	}
	switch o.d.nodes[n].kind {
	case 't':
		return true
	case 'f':
		return false
	}
	o.c.add(o.at(name), "must be true or false")
	return false
}

// isFalse reports whether member name is the JSON literal false.
func (o *object) isFalse(name string) bool {
	if o == nil {
		return false
	}
	n, ok := o.member(name)
	return ok && o.d.nodes[n].kind == 'f'
}

// amount reads a decimal string amount that may be zero; ok is false when
// the member is missing or invalid.
func (o *object) amount(name string, required bool) (v int64, ok bool) {
	s, ok := o.stringMember(name, required)
	if !ok {
		return 0, false
	}
	v, err := parseHundredths(s)
	if err != nil {
		o.c.add(o.at(name), "%s", strings.TrimPrefix(err.Error(), "parse amount: "))
		return 0, false
	}
	return v, true
}

// quantities reads the required carats and value_usd of statistics, which
// may be zero (a nil return) but must then both be zero.
func (o *object) quantities() (Carats, USD) {
	c, cok := o.amount("carats", true)
	v, vok := o.amount("value_usd", true)
	switch {
	case !cok || !vok:
	case c == 0 && v != 0:
		o.c.add(o.at("value_usd"), "must be zero when carats is zero, got %s", USD(v))
	case c != 0 && v == 0:
		o.c.add(o.at("value_usd"), "must be greater than zero when carats is %s", Carats(c))
	}
	return Carats(c), USD(v)
}
