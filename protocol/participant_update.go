package protocol

// ParticipantUpdateType is the record type name of participant-list
// updates.
const ParticipantUpdateType = "participant_update"

func init() {
	register(ParticipantUpdateType, "participant-list update following a Plenary decision", (*checker).participantUpdate)
}

// Participant-list changes, the values of ParticipantUpdate.Change.
const (
	ChangeJoined     = "joined"     // listed from Effective on (Name and Kind required)
	ChangeSuspended  = "suspended"  // listed, but not eligible to trade
	ChangeReadmitted = "readmitted" // eligible again after a suspension or removal
	ChangeRemoved    = "removed"    // no longer a participant
	ChangeRenamed    = "renamed"    // the participant or its authority has a new name
)

// ParticipantChanges are the values of ParticipantUpdate.Change. It must
// not be modified.
var ParticipantChanges = []string{ChangeJoined, ChangeSuspended, ChangeReadmitted, ChangeRemoved, ChangeRenamed}

// participantKinds are the values of Participant.Kind and
// ParticipantUpdate.Kind.
var participantKinds = []string{KindState, KindRegionalOrganisation, KindTradingEntity, KindEUMemberState}

// ParticipantUpdate is the body of a "participant_update" record: one
// change to the list of KP participants, in force from Effective on, that
// follows a decision (of the Plenary, usually: "Plenary 2011, Final
// Communiqué ¶6"). A node applies it only when its author is a partner the
// operator trusts for the list (docs/records.md, Participant-list
// updates); from anyone else it is kept as a record and changes nothing.
type ParticipantUpdate struct {
	Version     int    `json:"version"`     // 1
	Participant string `json:"participant"` // participant code; any well-formed code, so that a new participant can join
	Change      string `json:"change"`      // see [ParticipantChanges]
	Effective   Date   `json:"effective"`
	Decision    string `json:"decision"`
	// Name is the participant's name: required to join, and for a rename
	// unless Authority is given.
	Name string `json:"name,omitempty"`
	// Kind is the participant's kind (see [Participant]), required to
	// join and only then.
	Kind string `json:"kind,omitempty"`
	// Authority is the name of the participant's KP authority, if the
	// update gives it.
	Authority  string      `json:"authority,omitempty"`
	Supersedes *Supersedes `json:"supersedes,omitempty"`
}

// ParseParticipantUpdate decodes and strictly validates a participant-list
// update, reporting every problem in a *[ValidationError]. On error the
// update is nil.
func ParseParticipantUpdate(body []byte) (*ParticipantUpdate, error) {
	return parseBody(ParticipantUpdateType, body, (*checker).participantUpdate)
}

func (c *checker) participantUpdate(o *object) *ParticipantUpdate {
	if o == nil || !o.version() {
		return nil
	}
	u := &ParticipantUpdate{Version: 1}
	u.Participant = o.pattern("participant", true, 64, "a two-letter uppercase code", isCodeSyntax)
	u.Change = o.enum("change", true, ParticipantChanges)
	u.Effective = o.date("effective", true)
	u.Decision = o.str("decision", true, 300)
	u.Name = o.str("name", false, 200)
	u.Kind = o.enum("kind", false, participantKinds)
	u.Authority = o.str("authority", false, 200)
	u.Supersedes = o.supersedes()
	c.participantUpdateNeeds(o, u)
	o.done()
	return u
}

// participantUpdateNeeds checks the fields a change requires or forbids.
func (c *checker) participantUpdateNeeds(o *object, u *ParticipantUpdate) {
	if u.Change == ChangeJoined && !o.has("name") {
		c.add(o.at("name"), "is required to join")
	}
	if u.Change == ChangeJoined && !o.has("kind") {
		c.add(o.at("kind"), "is required to join")
	}
	if u.Change == ChangeRenamed && !o.has("name") && !o.has("authority") {
		c.add(o.at("name"), "is required to rename, unless authority is given")
	}
	if u.Change != ChangeJoined && u.Change != "" && o.has("kind") {
		c.add(o.at("kind"), "is allowed only to join")
	}
}

// TypeName returns [ParticipantUpdateType].
func (u *ParticipantUpdate) TypeName() string { return ParticipantUpdateType }

// Noun returns "participant-list update".
func (u *ParticipantUpdate) Noun() string { return "participant-list update" }

// Replaces returns the update this one corrects, or nil.
func (u *ParticipantUpdate) Replaces() *Supersedes { return u.Supersedes }

// Parties reports that the operator names an update's readers; by
// default every partner reads it.
func (u *ParticipantUpdate) Parties() ([]string, bool) { return operatorNamed() }

// Filed returns the effective date.
func (u *ParticipantUpdate) Filed() Date { return u.Effective }

// Concerns returns the participant the update is about.
func (u *ParticipantUpdate) Concerns() []string { return []string{u.Participant} }

// ForEveryPartner reports true: the whole KP reads the participant list.
func (u *ParticipantUpdate) ForEveryPartner() bool { return true }

// Author returns none: the author is whoever the operator trusts for the
// list, not a participant the update names.
func (u *ParticipantUpdate) Author() (AuthorClaim, bool) { return AuthorClaim{}, false }
