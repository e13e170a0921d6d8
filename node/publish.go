package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// Published describes an entry appended to this node's feed.
type Published struct {
	Seq      uint64        `json:"seq"`
	Hash     protocol.Hash `json:"hash"`
	Type     string        `json:"type"`
	Audience []string      `json:"audience"`
	Size     int           `json:"size"`
	Time     time.Time     `json:"time"`
	// NonParty lists the partners of Audience that are not party to the
	// record, sent to as the operator asked (audited).
	NonParty []string `json:"non_party,omitempty"`
	// Warnings say what the operator should know: a party to the record
	// that no pinned partner stands for, so that no partner reads it.
	Warnings []string `json:"warnings,omitempty"`
}

// PublishRequest is a record to publish, for [Node.PublishRecord].
type PublishRequest struct {
	Type string // the record type
	Body []byte // the record body, JSON
	// To holds partner codes, the single value [AudienceAll], or nothing
	// for the record's parties (docs/records.md, "Who reads a record").
	To []string
	// AllowNonParty allows To to name partners that are not party to the
	// record; each such publish is audited.
	AllowNonParty bool
}

// AudienceAll is the --to value that addresses every pinned partner.
const AudienceAll = "all"

// Publish validates a record, seals it to its audience and to this node,
// and appends it to this node's feed. A correction must name a current
// record of its type in this node's feed, a withdrawal a record of this
// node's feed ([ErrInvalidRecord] otherwise). to holds partner codes, the
// single value [AudienceAll], or nothing for the record's parties; a
// partner not party to the record is refused ([ErrNonParty]: see
// [Node.PublishRecord]). It returns only once the entry is committed to
// the store.
func (n *Node) Publish(ctx context.Context, typ string, body []byte, to []string) (Published, error) {
	return n.PublishRecord(ctx, PublishRequest{Type: typ, Body: body, To: to})
}

// PublishRecord is [Node.Publish] that may send a record to partners not
// party to it when the request allows it; the audit log then records the
// entry and those partners.
func (n *Node) PublishRecord(ctx context.Context, req PublishRequest) (Published, error) {
	typ, body := req.Type, req.Body
	if err := n.own.CheckAppend(); err != nil {
		return Published{}, err
	}
	if typ == protocol.HandoverType {
		return Published{}, fmt.Errorf("%w: %s records are made by kpnode keys rotate only", ErrInvalidRecord, typ)
	}
	parsed, err := parseRecord(typ, body)
	if err != nil {
		return Published{}, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if err := protocol.CheckAuthor(n.cfg.Participant, parsed.top); err != nil {
		return Published{}, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	release, err := n.ownWrites.take(ctx)
	if err != nil {
		return Published{}, fmt.Errorf("publish: wait for another import or publish: %w", err)
	}
	defer release()
	if err := n.checkSupersedes(parsed); err != nil {
		return Published{}, err
	}
	defer n.blobLeases.take(filesOf(parsed.top))()             // attachments: not collected until the record names them
	if err := n.checkAttachmentsHeld(parsed.top); err != nil { // attachments: files held whole
		return Published{}, err
	}
	n.blobLeases.checked() // attachments: a test's collection pass runs here
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return Published{}, fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	}
	rule, err := n.newAudienceRule(req.To, req.AllowNonParty)
	if err != nil {
		return Published{}, err
	}
	choice, err := rule.choose(parsed.top)
	if err != nil {
		return Published{}, err
	}
	p, err := n.publishSealed(ctx, typ, compact.Bytes(), choice.codes, append(rule.recipients(choice.codes), n.self.Seal), parsed)
	if err != nil {
		return p, err
	}
	standings := n.newAudienceStandings()
	standings.note(parsed.top, choice.codes)
	p.NonParty, p.Warnings = choice.nonParty, append(unpinnedWarnings(choice.unpinned, 1), standings.warnings()...)
	return p, n.auditNonParty(actorOf(ctx), p.Type, []uint64{p.Seq}, choice.nonParty, 1)
}

// publishSealed seals a validated, compact body to rcpts (the audience in
// order, then this node) and appends it.
func (n *Node) publishSealed(ctx context.Context, typ string, body []byte, audience []string, rcpts []age.Recipient, parsed parsedRecord) (Published, error) {
	ct, commitment, salt, err := protocol.SealRecordSalted(body, rcpts)
	if err != nil {
		return Published{}, fmt.Errorf("seal record: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Published{}, err
	}
	draft := protocol.Draft{Type: typ, Audience: audience, Commitment: commitment, Ciphertext: ct}
	p, err := n.appendOwn(draft, &store.Record{Type: typ, Body: body, Keys: parsed.keys(), Salt: salt[:]})
	if err == nil {
		n.reconcile(n.cfg.Participant, n.id.Public(), p.Seq, p.Time, parsed.top)
		n.noteAttachments(n.id.Public(), p.Seq, parsed.top) // attachments: refs
	}
	return p, err
}

// appendOwn appends d with its record to this node's own feed and
// returns once the entry is on disk ([ownfeed.Feed.Append]).
func (n *Node) appendOwn(d protocol.Draft, rec *store.Record) (Published, error) {
	e, err := n.own.Append(d, rec)
	if err != nil {
		return Published{}, err
	}
	return Published{Seq: e.Seq, Hash: e.Hash(), Type: e.Type, Audience: e.Audience, Size: len(e.Bytes()), Time: e.Time}, nil
}

// resolveAudience turns partner codes (or "all") into the sorted audience
// and the partners' static-static recipients.
func (n *Node) resolveAudience(to []string) ([]string, []age.Recipient, error) {
	byCode := n.roster.Snapshot().KeysByCode()
	codes, err := audienceCodes(to, byCode, n.cfg.Participant)
	if err != nil {
		return nil, nil, err
	}
	rcpts := make([]age.Recipient, 0, len(codes))
	for _, c := range codes {
		rcpts = append(rcpts, byCode[c].Seal)
	}
	return codes, rcpts, nil
}

func audienceCodes(to []string, byCode map[string]*roster.Keys, self string) ([]string, error) {
	if len(to) == 1 && strings.EqualFold(to[0], AudienceAll) {
		if len(byCode) == 0 {
			return nil, fmt.Errorf("audience %q: %w: no partners are pinned yet", AudienceAll, ErrUnknownPartner)
		}
		return slices.Sorted(maps.Keys(byCode)), nil
	}
	if len(to) == 0 {
		return nil, fmt.Errorf("audience: %w: name at least one partner code or %q", ErrUnknownPartner, AudienceAll)
	}
	codes := make([]string, 0, len(to))
	for _, c := range to {
		if err := checkAudienceCode(c, byCode, self); err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return slices.Compact(codes), nil
}

func checkAudienceCode(c string, byCode map[string]*roster.Keys, self string) error {
	switch known := protocol.AdmissibleCode(c, false); {
	case strings.EqualFold(c, AudienceAll):
		return fmt.Errorf("audience: %w: %q cannot be combined with partner codes", ErrInvalidRequest, AudienceAll)
	case !known:
		return fmt.Errorf("audience %q: %w", c, ErrUnknownParticipant)
	case c == self:
		return fmt.Errorf("audience %q: %w: this node itself is always a reader; name partners only", c, ErrInvalidRequest)
	case byCode[c] == nil:
		return fmt.Errorf("audience %q: %w (see kpnode partners list)", c, ErrUnknownPartner)
	}
	return nil
}
