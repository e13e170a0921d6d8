package node

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// The participant list as data (docs/records.md, Participant-list
// updates): the built-in list, the update files the operator applied, and
// the participant_update records of this node and of the partners the
// operator trusts for the list, and their participant_status_change
// notices, the older encoding of the same decisions, under the same rule.
// An update or notice from any other partner is kept as a record and
// changes nothing; the list says so.

// Store metadata keys of the participant list.
const (
	membershipFilesKey = "participants/applied" // the update files applied, oldest first
	membershipTrustKey = "participants/trusted" // partner codes trusted for the list
)

// storedUpdateFile is one update file the operator applied, as the store
// keeps it: the file's history is never rewritten, only appended to.
type storedUpdateFile struct {
	File    string                       `json:"file"`
	Applied time.Time                    `json:"applied"`
	By      string                       `json:"by"`
	SHA256  string                       `json:"sha256"`
	Updates []protocol.ParticipantUpdate `json:"updates"`
	// Rows are the file's rows of Updates, the header being row 1; a
	// file stored without them had no blank rows and starts on row 2.
	Rows []int `json:"rows,omitempty"`
}

// IgnoredUpdate is a partner's participant_update record, or
// participant_status_change notice, that changes nothing, because the
// operator does not trust its author for the list.
type IgnoredUpdate struct {
	Partner string `json:"partner"`
	Seq     uint64 `json:"seq"`
	Type    string `json:"type"` // protocol.ParticipantUpdateType or protocol.NoticeType
	// Update is the update the record is, or the notice amounts to.
	Update protocol.ParticipantUpdate `json:"update"`
	Reason string                     `json:"reason"`
}

// membership holds the participant list in use and what it is built
// from.
type membership struct {
	mu      sync.Mutex // serialises rebuilds and operator changes; guards the fields below
	files   []storedUpdateFile
	trusted []string             // sorted partner codes
	view    *protocol.Membership // the list in use
	ignored []IgnoredUpdate
	authors map[string]bool // feeds holding participant_update records or status-change notices: their withdrawals may change the list
	closed  bool            // the membership index is marked closed (closeMembershipIndex), or must not be
	scanAll bool            // the index could not be built (a full disk): notices are read, every one
}

// loadMembership reads the applied files and the trusted partners, and
// builds the list from them and the records held.
func (n *Node) loadMembership() error {
	m := &n.members
	if err := getMetaJSON(n.st, membershipFilesKey, &m.files); err != nil {
		return fmt.Errorf("load participant updates: %w", err)
	}
	if err := getMetaJSON(n.st, membershipTrustKey, &m.trusted); err != nil {
		return fmt.Errorf("load partners trusted for the participant list: %w", err)
	}
	if err := n.ensureMembershipIndex(); err != nil {
		return fmt.Errorf("build the membership index: %w", err)
	}
	return n.refreshMembership()
}

// getMetaJSON decodes the metadata value key into v; absent, v is left
// as it is.
func getMetaJSON(st *store.Store, key string, v any) error {
	raw, err := st.GetMeta(key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// refreshMembership builds the list again from the applied files and the
// current participant_update records and status-change notices held, and
// hands it to the reconciliation, which re-checks what it changes.
func (n *Node) refreshMembership() error {
	m := &n.members
	m.mu.Lock()
	defer m.mu.Unlock()
	held, err := n.heldMembershipUpdates()
	if err != nil {
		return err
	}
	changes := fileChanges(m.files)
	m.ignored, m.authors = nil, map[string]bool{}
	for _, h := range held {
		m.authors[h.Partner] = true
		if h.Partner != n.cfg.Participant && !slices.Contains(m.trusted, h.Partner) {
			h.Reason = fmt.Sprintf("partner %s is not trusted for the participant list", h.Partner)
			m.ignored = append(m.ignored, h)
			continue
		}
		kind := protocol.SourceRecord
		if h.Type == protocol.NoticeType {
			kind = protocol.SourceNotice
		}
		changes = append(changes, protocol.MembershipChange{Update: h.Update,
			Source: protocol.MembershipSource{Kind: kind, Partner: h.Partner, Seq: h.Seq}})
	}
	m.view = protocol.NewMembership(changes)
	n.setMembership(m.view)
	return nil
}

// heldMembershipUpdates returns the current participant_update records
// held and the updates the current participant_status_change notices
// amount to, each with its author and seq (Reason empty). It reads the
// notices of the membership index and the withdrawals of their feeds,
// not every notice.
func (n *Node) heldMembershipUpdates() ([]IgnoredUpdate, error) {
	recs, err := n.heldRecordsOf(protocol.ParticipantUpdateType, nil)
	if err != nil {
		return nil, fmt.Errorf("read participant updates: %w", err)
	}
	notices, err := n.membershipNoticeRecords()
	if err != nil {
		return nil, fmt.Errorf("read participant status-change notices: %w", err)
	}
	ws, err := n.withdrawalsOfFeeds(recs, notices)
	if err != nil {
		return nil, fmt.Errorf("read withdrawals of participant updates: %w", err)
	}
	var out []IgnoredUpdate
	for _, h := range resolveLineages(recs, ws).currentRecords() {
		out = append(out, IgnoredUpdate{Partner: h.Feed, Seq: h.Seq, Type: protocol.ParticipantUpdateType,
			Update: *h.Value.(*protocol.ParticipantUpdate)})
	}
	for _, h := range resolveLineages(notices, ws).currentRecords() {
		if u, ok := h.Value.(*protocol.Notice).MembershipUpdate(); ok {
			out = append(out, IgnoredUpdate{Partner: h.Feed, Seq: h.Seq, Type: protocol.NoticeType, Update: u})
		}
	}
	return out, nil
}

// membershipNoticeRecords returns the notices the list may depend on:
// those of the membership index, or every notice held when the index
// could not be built.
func (n *Node) membershipNoticeRecords() ([]HeldRecord, error) {
	if n.members.scanAll {
		return n.heldRecordsOf(protocol.NoticeType, nil)
	}
	return n.indexedNoticeRecords()
}

// indexedNoticeRecords returns the readable notices of the membership
// index, in feed order.
func (n *Node) indexedNoticeRecords() ([]HeldRecord, error) {
	ps, err := n.indexedNotices()
	if err != nil {
		return nil, err
	}
	var out []HeldRecord
	for _, p := range ps {
		r, err := n.st.Record(p.key, p.seq)
		if errors.Is(err, store.ErrNotFound) {
			continue // named by a correction, not held
		}
		if err != nil {
			return nil, err
		}
		if r.Type == protocol.NoticeType {
			out = append(out, n.expand(r, protocol.NoticeType)...)
		}
	}
	sortHeld(out)
	return out, nil
}

// withdrawalsOfFeeds returns the withdrawals held in the feeds of recs
// and notices: a withdrawal names a record of its own feed.
func (n *Node) withdrawalsOfFeeds(recs, notices []HeldRecord) ([]HeldRecord, error) {
	feeds := map[crypto.PublicKey]bool{}
	for _, h := range append(slices.Clip(recs), notices...) {
		feeds[h.key] = true
	}
	var out []HeldRecord
	for key := range feeds {
		ws, err := n.heldRecordsOf(protocol.WithdrawalType, &key)
		if err != nil {
			return nil, err
		}
		out = append(out, ws...)
	}
	return out, nil
}

// fileChanges returns the changes of the applied files.
func fileChanges(files []storedUpdateFile) []protocol.MembershipChange {
	var out []protocol.MembershipChange
	for _, f := range files {
		for i, u := range f.Updates {
			row := i + 2
			if len(f.Rows) == len(f.Updates) {
				row = f.Rows[i]
			}
			out = append(out, protocol.MembershipChange{Update: u,
				Source: protocol.MembershipSource{Kind: protocol.SourceFile, File: f.File, Row: row}})
		}
	}
	return out
}

// setMembership makes m the list the reconciliation reads and reports
// the findings it raised or cleared as events.
func (n *Node) setMembership(m *protocol.Membership) {
	n.findings.mu.Lock()
	changed, gone := n.findings.st.SetMembership(m)
	n.findings.mu.Unlock()
	for _, f := range changed {
		n.events.emit("finding_raised", map[string]any{"id": f.ID, "rule": f.Rule, "severity": string(f.Severity), "partner": f.Partner})
	}
	for _, id := range gone {
		n.events.emit("finding_cleared", map[string]any{"id": id})
	}
}

// noteMembershipRecord rebuilds the list when a stored record may change
// it: a participant-list update or status-change notice, or a withdrawal
// by a feed that holds some. An update from a partner not trusted for the
// list is reported as such.
func (n *Node) noteMembershipRecord(code string, key crypto.PublicKey, seq uint64, value any) {
	u, isUpdate := value.(*protocol.ParticipantUpdate)
	indexed := false
	if notice, ok := value.(*protocol.Notice); ok {
		nu, isNotice := notice.MembershipUpdate()
		u, isUpdate = &nu, isNotice
		indexed = n.noteMembershipNotice(noticePos{key, seq}, notice)
	}
	_, isWithdrawal := value.(*protocol.Withdrawal)
	b, isBatch := value.(*protocol.Batch)
	isBatch = isBatch && b != nil && b.Type == protocol.ParticipantUpdateType
	if !isUpdate && !isBatch && !indexed && !(isWithdrawal && n.membershipAuthor(code)) {
		return
	}
	if err := n.refreshMembership(); err != nil {
		n.log.Error("rebuild the participant list", "err", err)
		return
	}
	ev := map[string]any{"partner": code, "seq": seq}
	if isUpdate {
		ev["participant"], ev["change"] = u.Participant, u.Change
	}
	switch {
	case isWithdrawal:
		n.events.emit("participants_changed", ev)
	case code != n.cfg.Participant && !n.TrustedForParticipants(code):
		ev["reason"] = "partner " + code + " is not trusted for the participant list"
		n.events.emit("participant_update_ignored", ev)
	default:
		n.events.emit("participants_changed", ev)
	}
}

// noteMembershipNotice adds a stored notice to the membership index
// when the list may depend on it, and reports whether it did.
func (n *Node) noteMembershipNotice(p noticePos, v *protocol.Notice) bool {
	n.members.mu.Lock() // one index writer at a time
	defer n.members.mu.Unlock()
	indexed, err := n.indexMembershipNotice(p, v)
	if err != nil {
		n.log.Error("index a participant status-change notice", "seq", p.seq, "err", err)
	}
	return indexed
}

func (n *Node) membershipAuthor(code string) bool {
	n.members.mu.Lock()
	defer n.members.mu.Unlock()
	return n.members.authors[code]
}

// Membership returns the participant list in use: every check that uses
// the list asks it as of the date of the record it judges.
func (n *Node) Membership() *protocol.Membership {
	n.members.mu.Lock()
	defer n.members.mu.Unlock()
	return cmp.Or(n.members.view, protocol.BuiltinMembership())
}

// TrustedForParticipants reports whether the operator trusts partner
// code's participant-list updates.
func (n *Node) TrustedForParticipants(code string) bool {
	n.members.mu.Lock()
	defer n.members.mu.Unlock()
	return slices.Contains(n.members.trusted, code)
}
