package protocol

// A participant_status_change notice and a participant_update record
// describe the same Plenary decisions: the notice is the older encoding,
// which nodes released before the participant list became data read. A
// node treats the notice as the update it amounts to (docs/records.md
// §18): it changes the participant list only when its author is trusted
// for the list, exactly as a participant_update would, and never by
// itself.

// noticeChanges maps ParticipantStatusChange.Status to the list's change.
var noticeChanges = map[string]string{
	"suspended":             ChangeSuspended,
	"voluntarily_suspended": ChangeSuspended,
	"removed":               ChangeRemoved,
	"readmitted":            ChangeReadmitted,
}

// MembershipUpdate returns the participant-list update a
// participant_status_change notice amounts to: the participant's change in
// force from the notice's effective date, the decision being the notice's
// reference and title ("notice KP-2013-01: CAR suspended"). It reports
// false for any other notice. The notice's conditions, which the list
// cannot say, stay with the notice.
func (n *Notice) MembershipUpdate() (ParticipantUpdate, bool) {
	if n == nil || n.Kind != NoticeParticipantStatusChange || n.ParticipantStatusChange == nil {
		return ParticipantUpdate{}, false
	}
	p := n.ParticipantStatusChange
	change, ok := noticeChanges[p.Status]
	if !ok {
		return ParticipantUpdate{}, false
	}
	return ParticipantUpdate{Version: 1, Participant: p.Participant, Change: change, Effective: p.Effective,
		Decision: "notice " + n.Reference + ": " + n.Title}, true
}
