package node

import (
	"errors"
	"fmt"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// EvidenceRequest names the record to hand out as evidence.
type EvidenceRequest struct {
	Feed string // participant code of the feed's author: this node or a partner (removed ones too)
	Seq  uint64 // the entry
	Item *int   // for a batch entry: the item to single out; nil for the whole record
	// Actor names who asks, for the audit log; empty means the node.
	Actor string
}

// Evidence builds the evidence bundle of a record this node holds: the
// entry, the salt and body that open its commitment, the author's signed
// card and, for a batch item, the item. It appends the export to the audit
// log and hands out nothing when that fails. The bundle is verified before
// it is returned.
func (n *Node) Evidence(req EvidenceRequest) (*protocol.EvidenceBundle, error) {
	card, _ := n.Card() // nil before Start, as before
	src := evidenceSource{st: n.st, self: n.cfg.Participant, id: n.id, card: card}
	return src.export(req, false)
}

// ExportEvidence is [Node.Evidence] for a node that is not running: it
// reads the store directly and appends the export to its audit log. id
// may be nil (keys protected by a passphrase); records stored without
// their salt (before store layout 2) then cannot be exported. This node's
// own card is the one its daemon signed at its last start.
func ExportEvidence(st *store.Store, cfg Config, id *crypto.Identity, req EvidenceRequest) (*protocol.EvidenceBundle, error) {
	src := evidenceSource{st: st, self: cfg.Participant, id: id}
	return src.export(req, true)
}

// evidenceSource is what building a bundle needs.
type evidenceSource struct {
	st   *store.Store
	self string               // this node's participant code
	id   *crypto.Identity     // nil when the keys are not at hand
	card *protocol.SignedCard // this node's card; nil: read the stored one
}

func (s evidenceSource) export(req EvidenceRequest, offline bool) (*protocol.EvidenceBundle, error) {
	b, err := s.bundle(req)
	if err != nil {
		return nil, fmt.Errorf("evidence %s/%d: %w", req.Feed, req.Seq, err)
	}
	e, err := b.Verify()
	if err != nil {
		return nil, fmt.Errorf("evidence %s/%d: the bundle built from the store does not verify: %w",
			req.Feed, req.Seq, err)
	}
	details := map[string]any{"feed": req.Feed, "seq": req.Seq, "type": e.Entry.Type, "hash": e.Entry.Hash(), "offline": offline}
	if req.Item != nil {
		details["item"] = *req.Item
	}
	if _, err := s.st.AppendAudit(store.AuditEvent{Action: AuditEvidenceExport, Actor: req.Actor, Details: details}); err != nil {
		return nil, fmt.Errorf("evidence %s/%d: append to the audit log: %w", req.Feed, req.Seq, err)
	}
	return b, nil
}

// bundle reads what a bundle holds from the store.
func (s evidenceSource) bundle(req EvidenceRequest) (*protocol.EvidenceBundle, error) {
	card, err := s.authorCard(req.Feed)
	if err != nil {
		return nil, err
	}
	e, err := s.st.Entry(card.Key, req.Seq)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: this node holds no entry %d of the feed of %s", store.ErrNotFound, req.Seq, req.Feed)
	}
	if err != nil {
		return nil, err
	}
	body, salt, err := s.opened(req.Feed, e)
	if err != nil {
		return nil, err
	}
	b := &protocol.EvidenceBundle{Type: e.Type, Card: card.Bytes(), Entry: e.Bytes(), Salt: salt, Body: body}
	if req.Item != nil {
		if err := addItem(b, *req.Item); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// authorCard returns the signed card of feed: this node's, or a partner's
// as pinned (a removed partner's tombstone keeps its card).
func (s evidenceSource) authorCard(feed string) (*protocol.SignedCard, error) {
	if feed == s.self {
		return s.ownCard()
	}
	p, err := s.st.Partner(feed)
	if errors.Is(err, store.ErrNotFound) {
		if !protocol.AdmissibleCode(feed, false) {
			return nil, fmt.Errorf("feed %q: %w", feed, ErrUnknownParticipant)
		}
		return nil, fmt.Errorf("feed %q: %w", feed, ErrUnknownPartner)
	}
	if err != nil {
		return nil, err
	}
	sc, err := protocol.ParseCard(p.Card)
	if err != nil {
		return nil, fmt.Errorf("stored card of partner %s: %w", feed, err)
	}
	return sc, nil
}

func (s evidenceSource) ownCard() (*protocol.SignedCard, error) {
	if s.card != nil {
		return s.card, nil
	}
	b, err := s.st.GetMeta(metaCardSigned)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("this node's signed card is not stored yet: start the daemon once (kpnode run), then export again")
	}
	if err != nil {
		return nil, err
	}
	sc, err := protocol.ParseCard(b)
	if err != nil {
		return nil, fmt.Errorf("stored card of this node: %w", err)
	}
	return sc, nil
}

// opened returns the record body of e and the salt that opens its
// commitment: as stored, or by decrypting e again for a record stored
// without its salt.
func (s evidenceSource) opened(feed string, e *protocol.Entry) (body, salt []byte, err error) {
	r, err := s.st.Record(e.Author, e.Seq)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: this node holds no record of entry %s/%d (it was not addressed to this node, or could not be opened)",
			store.ErrNotFound, feed, e.Seq)
	}
	if err != nil {
		return nil, nil, err
	}
	if r.Salt != nil {
		return r.Body, r.Salt, nil
	}
	if s.id == nil {
		return nil, nil, fmt.Errorf("record %s/%d was stored without its salt (before store layout 2): "+
			"export it through the running daemon, or give the key passphrase, so that the entry can be decrypted again", feed, e.Seq)
	}
	opened, st, err := protocol.OpenRecord(e, roster.AuthorIdentity(s.id, s.authorRecipient(feed)))
	if err != nil {
		return nil, nil, fmt.Errorf("decrypt entry %s/%d again for its salt: %w", feed, e.Seq, err)
	}
	return opened, st[:], nil
}

// authorRecipient is the age recipient of feed's author, from the pinned
// card, or nil when it is not known.
func (s evidenceSource) authorRecipient(feed string) *age.X25519Recipient {
	if feed == s.self {
		return s.id.Recipient()
	}
	p, err := s.st.Partner(feed)
	if err != nil {
		return nil
	}
	c, err := protocol.ParseCard(p.Card)
	if err != nil {
		return nil
	}
	return c.Recipient()
}

// addItem singles out item i of a batch bundle.
func addItem(b *protocol.EvidenceBundle, i int) error {
	if b.Type != protocol.BatchType {
		return fmt.Errorf("%w: an item applies to batch entries; this entry is a %s", ErrInvalidRequest, b.Type)
	}
	_, items, err := protocol.BatchItems(b.Body)
	if err != nil {
		return fmt.Errorf("stored batch: %w", err)
	}
	if i < 0 || i >= len(items) {
		return fmt.Errorf("%w: the batch has %d item(s): there is no item %d counting from 1 (index %d counting from 0, as the API's item does)",
			ErrInvalidRequest, len(items), i+1, i)
	}
	b.Item, b.ItemBody = &i, items[i]
	return nil
}
