package node

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/kpnode/kpnode/tabular"
)

// Audit actions of the participant list.
const (
	AuditParticipantsApply    = "participants.apply"    // an operator applied a participant-list update file
	AuditParticipantsTrust    = "participants.trust"    // a partner trusted for the participant list
	AuditParticipantsDistrust = "participants.distrust" // a partner no longer trusted for it
)

// MaxParticipantUpdatesBytes caps a participant-list update file.
const MaxParticipantUpdatesBytes = 1 << 20

// ParticipantUpdatesApply is an operator's request to apply a file of
// participant-list updates (tabular.ReadParticipantUpdates).
type ParticipantUpdatesApply struct {
	File   string // the file's name, kept with the updates and in the audit log
	Data   []byte // the CSV file
	DryRun bool   // only check the file
	By     string // who asks, for the audit log
}

// ParticipantUpdatesResult says what applying a file did.
type ParticipantUpdatesResult struct {
	File    string    `json:"file"`
	Updates int       `json:"updates"`
	DryRun  bool      `json:"dry_run"`
	Time    time.Time `json:"time,omitzero"`
	SHA256  string    `json:"sha256"`
}

// ApplyParticipantUpdates checks a file of participant-list updates and,
// unless it is a dry run, stores it with the files applied before (with
// its audit record, in one transaction) and applies it at once. It is
// all or nothing: a file with any error is refused whole with an error
// wrapping ErrInvalidRequest that names each bad row and field.
func (n *Node) ApplyParticipantUpdates(req ParticipantUpdatesApply) (ParticipantUpdatesResult, error) {
	req.File = cmp.Or(req.File, "upload")
	if err := checkUpdatesRequest(req); err != nil {
		return ParticipantUpdatesResult{}, err
	}
	read, err := tabular.ReadParticipantUpdates(req.File, bytes.NewReader(req.Data))
	if err != nil {
		return ParticipantUpdatesResult{}, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	us := read.Updates
	if len(us) == 0 {
		return ParticipantUpdatesResult{}, fmt.Errorf("%w: %s: no updates after the header", ErrInvalidRequest, req.File)
	}
	sum := sha256.Sum256(req.Data)
	res := ParticipantUpdatesResult{File: req.File, Updates: len(us), DryRun: req.DryRun, SHA256: hex.EncodeToString(sum[:])}
	if req.DryRun {
		return res, nil
	}
	f := storedUpdateFile{File: req.File, Applied: n.now().UTC().Truncate(time.Second), By: req.By, SHA256: res.SHA256, Updates: us, Rows: read.Rows}
	res.Time = f.Applied
	ev := store.AuditEvent{Action: AuditParticipantsApply, Actor: req.By, Details: map[string]any{
		"file": f.File, "sha256": f.SHA256, "updates": len(us), "by": f.By}}
	if err := n.storeUpdateFile(f, ev); err != nil {
		return ParticipantUpdatesResult{}, err
	}
	if err := n.refreshMembership(); err != nil {
		return ParticipantUpdatesResult{}, err
	}
	n.events.emit("participants_changed", map[string]any{"file": f.File, "updates": len(us)})
	return res, nil
}

func checkUpdatesRequest(req ParticipantUpdatesApply) error {
	if len(req.Data) > MaxParticipantUpdatesBytes {
		return fmt.Errorf("%w: participant updates %s are %d bytes, at most %d", ErrInvalidRequest, req.File, len(req.Data), MaxParticipantUpdatesBytes)
	}
	for what, s := range map[string]string{"file name": req.File, "by": req.By} {
		if p := protocol.TextProblem(s, maxValuationText, false); p != "" {
			return fmt.Errorf("%w: participant updates %s %s", ErrInvalidRequest, what, p)
		}
	}
	return nil
}

// storeUpdateFile appends f to the files applied, in the store (with ev)
// and in memory.
func (n *Node) storeUpdateFile(f storedUpdateFile, ev store.AuditEvent) error {
	m := &n.members
	m.mu.Lock()
	defer m.mu.Unlock()
	files := append(slices.Clone(m.files), f)
	raw, err := json.Marshal(files)
	if err != nil {
		return err
	}
	if err := n.st.PutMetaAudited(membershipFilesKey, raw, ev); err != nil {
		return fmt.Errorf("store participant updates %s: %w", f.File, err)
	}
	m.files = files
	return nil
}

// TrustForParticipants sets whether partner code's participant-list
// updates change this node's list (the KP Chair's node, say), with its
// audit record, and rebuilds the list at once: its updates held already
// apply, or stop applying. Only a pinned partner can be trusted; by is
// who asks, for the audit log.
func (n *Node) TrustForParticipants(code string, trusted bool, by string) error {
	if p := protocol.TextProblem(by, maxValuationText, false); p != "" {
		return fmt.Errorf("%w: trust by %s", ErrInvalidRequest, p)
	}
	if _, err := n.roster.Pinned(code); err != nil && trusted {
		return fmt.Errorf("trust %q for the participant list: %w", code, err)
	}
	action := AuditParticipantsTrust
	if !trusted {
		action = AuditParticipantsDistrust
	}
	if err := n.storeTrust(code, trusted, store.AuditEvent{Action: action, Actor: by, Details: map[string]any{"partner": code, "by": by}}); err != nil {
		return err
	}
	if err := n.refreshMembership(); err != nil {
		return err
	}
	n.events.emit("participants_changed", map[string]any{"partner": code, "trusted": trusted})
	return nil
}

func (n *Node) storeTrust(code string, trusted bool, ev store.AuditEvent) error {
	m := &n.members
	m.mu.Lock()
	defer m.mu.Unlock()
	list := slices.DeleteFunc(slices.Clone(m.trusted), func(c string) bool { return c == code })
	if trusted {
		list = append(list, code)
		slices.Sort(list)
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return err
	}
	if err := n.st.PutMetaAudited(membershipTrustKey, raw, ev); err != nil {
		return fmt.Errorf("store partners trusted for the participant list: %w", err)
	}
	m.trusted = list
	return nil
}
