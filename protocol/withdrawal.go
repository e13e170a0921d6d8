package protocol

// WithdrawalType is the record type name of withdrawals.
const WithdrawalType = "withdrawal"

func init() {
	register(WithdrawalType, "withdrawal of an earlier record of the same author", (*checker).withdrawal)
}

// Withdrawal is the body of a "withdrawal" record: it withdraws the earlier
// record of the same author named by Supersedes, which from then on counts
// as never published. A correction is not a withdrawal: it is a new record
// of the same type whose "supersedes" names the one it replaces.
type Withdrawal struct {
	Version    int        `json:"version"` // 1
	Supersedes Supersedes `json:"supersedes"`
	Reason     string     `json:"reason"`
}

// ParseWithdrawal decodes and strictly validates a withdrawal body,
// reporting every problem in a *[ValidationError]. On error the withdrawal
// is nil.
func ParseWithdrawal(body []byte) (*Withdrawal, error) {
	return parseBody(WithdrawalType, body, (*checker).withdrawal)
}

func (c *checker) withdrawal(o *object) *Withdrawal {
	if o == nil || !o.version() {
		return nil
	}
	w := &Withdrawal{Version: 1}
	if s := supersedesRef(o.obj("supersedes", true)); s != nil {
		w.Supersedes = *s
	}
	w.Reason = o.text("reason", true, 4000)
	o.done()
	return w
}

// TypeName returns [WithdrawalType].
func (w *Withdrawal) TypeName() string { return WithdrawalType }

// Noun returns "withdrawal".
func (w *Withdrawal) Noun() string { return "withdrawal" }

// Replaces returns the record withdrawn.
func (w *Withdrawal) Replaces() *Supersedes { return &w.Supersedes }

// Parties reports that the operator names a withdrawal's readers (the
// node sends it to the audience of the entry it withdraws).
func (w *Withdrawal) Parties() ([]string, bool) { return operatorNamed() }

// Filed returns the zero Date: a withdrawal is filed under no date.
func (w *Withdrawal) Filed() Date { return Date{} }

// Concerns returns nil: a withdrawal names no participant.
func (w *Withdrawal) Concerns() []string { return nil }

// ForEveryPartner reports false.
func (w *Withdrawal) ForEveryPartner() bool { return false }

// Author returns none.
func (w *Withdrawal) Author() (AuthorClaim, bool) {
	return AuthorClaim{}, false
}
