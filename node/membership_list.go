package node

import (
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// ParticipantList is the participant list as of a date, with where each
// entry came from.
type ParticipantList struct {
	At           protocol.Date      `json:"at"`
	Participants []ParticipantEntry `json:"participants"`
	// Trusted are the partners whose participant-list updates apply.
	Trusted []string `json:"trusted"`
	// Files are the update files the operator applied, oldest first.
	Files []UpdateFileInfo `json:"files"`
	// Ignored are the updates held from partners not trusted for the
	// list: kept as records, changing nothing.
	Ignored []IgnoredUpdate `json:"ignored"`
}

// ParticipantEntry is one participant as of the list's date, and every
// change applied to it (in the order they take effect, future ones
// included).
type ParticipantEntry struct {
	protocol.Member
	History []protocol.MembershipChange `json:"history"`
}

// UpdateFileInfo describes an applied update file.
type UpdateFileInfo struct {
	File    string    `json:"file"`
	Applied time.Time `json:"applied"`
	By      string    `json:"by"`
	SHA256  string    `json:"sha256"`
	Updates int       `json:"updates"`
}

// Participants returns the participant list as of at (zero: today, by
// the node's clock).
func (n *Node) Participants(at protocol.Date) ParticipantList {
	if at.IsZero() {
		at = protocol.DateOf(n.now().UTC())
	}
	m := &n.members
	m.mu.Lock()
	defer m.mu.Unlock()
	view := m.view
	if view == nil {
		view = protocol.BuiltinMembership()
	}
	out := ParticipantList{At: at, Trusted: append([]string{}, m.trusted...), Files: []UpdateFileInfo{},
		Ignored: append([]IgnoredUpdate{}, m.ignored...)}
	for _, mb := range view.List(at) {
		h := view.History(mb.Code)
		if h == nil {
			h = []protocol.MembershipChange{}
		}
		out.Participants = append(out.Participants, ParticipantEntry{Member: mb, History: h})
	}
	for _, f := range m.files {
		out.Files = append(out.Files, UpdateFileInfo{File: f.File, Applied: f.Applied, By: f.By, SHA256: f.SHA256, Updates: len(f.Updates)})
	}
	return out
}
