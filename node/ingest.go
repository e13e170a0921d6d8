package node

import (
	"errors"
	"slices"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/ingest"
	"github.com/kpnode/kpnode/node/internal/roster"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// newPipeline builds the ingest pipeline over the node's store and
// roster, with the node's opener and hooks.
func (n *Node) newPipeline() *ingest.Pipeline {
	return ingest.New(ingest.Config{Self: n.id.Public(), Store: n.st, Roster: n.roster, Opener: recordOpener{n},
		Hooks: ingestHooks{n}, Recovering: n.own.Recovering, Count: n.counters.add, Log: n.log, Done: n.runCtx.Done()})
}

// ingestHooks are what follows ingest's verdicts on this node.
type ingestHooks struct{ n *Node }

var _ ingest.Hooks = ingestHooks{}

// Stored reports the entry, finishes a recovery when it was this node's
// own, reconciles its record and follows a partner's key hand-over.
func (h ingestHooks) Stored(code string, e *protocol.Entry, rec *store.Record, value any) {
	n := h.n
	n.events.entryStored(code, e)
	if e.Author == n.id.Public() {
		n.own.CheckRecovered()
	}
	n.reconcile(code, e.Author, e.Seq, e.Time, value)
	n.noteAttachments(e.Author, e.Seq, value) // attachments: refs, eager fetch
	if e.Type == protocol.HandoverType {
		n.followHandover(code, e, rec)
	}
}

// Equivocation reports a fork of feed code.
func (h ingestHooks) Equivocation(code string, e *protocol.Entry) { h.n.events.equivocation(code, e) }

// RetiredEntry reports an entry of a retired key after its last valid seq.
func (h ingestHooks) RetiredEntry(code string, e *protocol.Entry, f roster.Closed) {
	h.n.events.emit("retired_key_entry", map[string]any{"partner": code, "seq": e.Seq, "valid_through": f.ValidThrough})
}

// followHandover re-pins partner code to the new key of the hand-over e:
// the roster closes the old feed and admits the new key before it
// returns (later entries of the same frame depend on it); joining the new
// key's topic and dialling it run on their own goroutine, never inside a
// gossipsub validator nor under the roster's lock.
func (n *Node) followHandover(code string, e *protocol.Entry, rec *store.Record) {
	p, ok := n.roster.FollowHandover(code, e, rec)
	if !ok || n.runCtx.Err() != nil {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.ex.Attach(p); err != nil {
			n.log.Error("follow partner's key hand-over", "partner", code, "err", err)
		}
	}()
}

// recordOpener opens and parses the records of entries addressed to this
// node, for ingest.
type recordOpener struct{ n *Node }

// Open is [Node.openRecord].
func (o recordOpener) Open(code string, e *protocol.Entry) (*store.Record, any) {
	return o.n.openRecord(code, e)
}

// openRecord decrypts an entry addressed to this node and parses its
// record. An entry it cannot open is still stored (the chain must stay
// whole) without its record.
func (n *Node) openRecord(code string, e *protocol.Entry) (*store.Record, any) {
	own := e.Author == n.id.Public() // pulled back while recovering
	if !own && !slices.Contains(e.Audience, n.cfg.Participant) {
		return nil, nil
	}
	body, salt, err := n.openAs(e, code)
	if err != nil {
		n.counters.add("unreadable", 1)
		n.log.Warn("entry addressed to this node cannot be opened", "feed", code, "seq", e.Seq, "err", err)
		return nil, nil
	}
	rec := &store.Record{Type: e.Type, Body: body, Salt: salt[:]}
	parsed, err := parseRecord(e.Type, body)
	if err != nil {
		n.counters.add("invalid_records", 1)
		n.log.Warn("record from a partner fails its validator; kept as received", "feed", code, "seq", e.Seq, "type", e.Type, "err", err)
		return rec, nil
	}
	// A record in another authority's name is signed by the feed's
	// author, whoever relayed it: kept as evidence under no key, and
	// reconcile's R13 reports it.
	keys, foreign := parsed.authoredKeys(code)
	if foreign > 0 {
		n.counters.add("foreign_author_records", uint64(foreign))
		n.log.Warn("record from a partner written in another authority's name; kept as evidence", "feed", code, "seq", e.Seq, "type", e.Type,
			"err", protocol.CheckAuthor(code, parsed.top))
	}
	rec.Keys = keys
	return rec, parsed.top
}

// openerFor returns the identity that opens records authored by code
// (this node or a partner): the static-static one when the author's age
// key is known, else the plain age identity.
func (n *Node) openerFor(code string) age.Identity {
	if code == n.cfg.Participant {
		return n.self.Open
	}
	k := n.roster.Snapshot().Keys(code)
	if k == nil {
		return n.id.AgeIdentity()
	}
	return k.Open
}

// openAs opens e's record, authored by code, with this node's key, then
// with its retired ones: partners seal to the old recipient until they
// follow a hand-over. A retired key opens static-static stanzas made with
// the author's current age key, and standard X25519 ones.
func (n *Node) openAs(e *protocol.Entry, code string) ([]byte, [protocol.SaltSize]byte, error) {
	body, salt, err := protocol.OpenRecord(e, n.openerFor(code))
	for _, id := range n.retiredIDs {
		if err == nil || !errors.Is(err, crypto.ErrNotRecipient) {
			break
		}
		body, salt, err = protocol.OpenRecord(e, roster.AuthorIdentity(id, n.authorRecipient(code, id)))
	}
	return body, salt, err
}

// authorRecipient is the age recipient of code's key as a retired identity
// id of this node knew it: id's own for this node's entries, else the
// partner's current one (nil when unknown).
func (n *Node) authorRecipient(code string, id *crypto.Identity) *age.X25519Recipient {
	if code == n.cfg.Participant {
		return id.Recipient()
	}
	if k := n.roster.Snapshot().Keys(code); k != nil {
		return k.Rcpt
	}
	return nil
}
