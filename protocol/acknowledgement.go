package protocol

// AcknowledgementType is the record type name of notice acknowledgements.
const AcknowledgementType = "acknowledgement"

func init() {
	register(AcknowledgementType, "acknowledgement of a received notice", (*checker).acknowledgement)
}

// Acknowledgement is the body of an "acknowledgement" record: the recipient
// authority's acknowledgement of a notice (DOMAIN.md: every received notice
// is acknowledged).
type Acknowledgement struct {
	Version    int         `json:"version"` // 1
	Of         EntryRef    `json:"of"`      // the notice's feed and seq
	Received   Date        `json:"received"`
	Remarks    string      `json:"remarks,omitempty"`
	Supersedes *Supersedes `json:"supersedes,omitempty"`
}

// ParseAcknowledgement decodes and strictly validates an acknowledgement
// body, reporting every problem in a *[ValidationError]. On error the
// acknowledgement is nil.
func ParseAcknowledgement(body []byte) (*Acknowledgement, error) {
	return parseBody(AcknowledgementType, body, (*checker).acknowledgement)
}

func (c *checker) acknowledgement(o *object) *Acknowledgement {
	if o == nil || !o.version() {
		return nil
	}
	a := &Acknowledgement{Version: 1}
	a.Of = entryRef(o.obj("of", true))
	a.Received = o.date("received", true)
	a.Remarks = o.text("remarks", false, 4000)
	a.Supersedes = o.supersedes()
	o.done()
	return a
}

// TypeName returns [AcknowledgementType].
func (a *Acknowledgement) TypeName() string { return AcknowledgementType }

// Noun returns "acknowledgement".
func (a *Acknowledgement) Noun() string { return "acknowledgement" }

// Replaces returns the acknowledgement this one corrects, or nil.
func (a *Acknowledgement) Replaces() *Supersedes { return a.Supersedes }

// Parties returns the notice's author, the feed of the notice
// acknowledged.
func (a *Acknowledgement) Parties() ([]string, bool) { return []string{a.Of.Feed}, true }

// Filed returns the date the notice was received.
func (a *Acknowledgement) Filed() Date { return a.Received }

// Concerns returns the notice's author.
func (a *Acknowledgement) Concerns() []string { return []string{a.Of.Feed} }

// ForEveryPartner reports false.
func (a *Acknowledgement) ForEveryPartner() bool { return false }

// Author returns none.
func (a *Acknowledgement) Author() (AuthorClaim, bool) {
	return AuthorClaim{}, false
}
