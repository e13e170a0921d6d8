package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

// maxInboxScan bounds the records of one type the inbox reads (a page of
// the store at a time), so that a node with years of records still answers
// promptly; Inbox.Truncated says when the bound was reached.
const maxInboxScan = 20000

// Inbox is the answer of GET /api/inbox: what awaits this node and what
// it awaits from its partners.
type Inbox struct {
	// Notices are partners' notices this node has not acknowledged. A
	// record its author withdrew or corrected is left out of every list.
	Notices []node.RecordView `json:"notices"`
	// Questions are partners' anomaly queries this node has not answered.
	Questions []node.RecordView `json:"questions"`
	// ToConfirm are partners' certificates destined to this node that it
	// has not confirmed with an import confirmation.
	ToConfirm []CertificateRef `json:"to_confirm"`
	// Unconfirmed are this node's certificates that their destination has
	// not confirmed with an import confirmation (whether or not its feed
	// entry was delivered).
	Unconfirmed []CertificateRef `json:"unconfirmed"`
	// Truncated is true when a type had more than maxInboxScan records:
	// the oldest were not read.
	Truncated bool `json:"truncated"`
}

// CertificateRef names a certificate and the entry (and batch item, -1
// for a lone record) that holds it.
type CertificateRef struct {
	Feed        string    `json:"feed"`
	Seq         uint64    `json:"seq"`
	Item        int       `json:"item"`
	Time        time.Time `json:"time"`
	Number      string    `json:"number"`
	Issuer      string    `json:"issuer"`
	Destination string    `json:"destination"`
	Issued      string    `json:"issued"`
}

func (h *Handler) inbox(w http.ResponseWriter, _ *http.Request) error {
	s, err := h.b.Status()
	if err != nil {
		return err
	}
	sc := &scanner{b: h.b}
	ib := Inbox{Notices: []node.RecordView{}, Questions: []node.RecordView{}}
	ib.Notices = sc.unreplied(s.Participant, "notice", "acknowledgement", refersBy("of"))
	ib.Questions = sc.unreplied(s.Participant, "anomaly_query", "anomaly_answer", refersBy("query"))
	ib.ToConfirm, ib.Unconfirmed = sc.unconfirmed(s.Participant)
	ib.Truncated = sc.truncated
	if sc.err != nil {
		return sc.err
	}
	return writeJSON(w, http.StatusOK, ib)
}

// refersBy returns a function that reads the entry a reply names in its
// member ({"feed", "seq"}). Replies were validated at ingest; a body that
// does not parse names the zero entry, which no record is.
func refersBy(member string) func(json.RawMessage) (string, uint64) {
	return func(rec json.RawMessage) (string, uint64) {
		var body map[string]json.RawMessage
		var ref struct {
			Feed string `json:"feed"`
			Seq  uint64 `json:"seq"`
		}
		if json.Unmarshal(rec, &body) == nil {
			json.Unmarshal(body[member], &ref)
		}
		return ref.Feed, ref.Seq
	}
}

// scanner reads the records of a type, page by page, keeping the first
// error and whether a scan stopped at maxInboxScan.
type scanner struct {
	b         Backend
	err       error
	truncated bool
	batches   map[string][]item  // batch items by type, read once
	withdrawn map[recordKey]bool // records withdrawn, read once
}

// all returns up to maxInboxScan records of typ (of feed, "" for all),
// newest first.
func (sc *scanner) all(typ, feed string) []node.RecordView {
	var out []node.RecordView
	cursor := ""
	for sc.err == nil {
		page, next, err := sc.b.Records(node.RecordsQuery{Type: typ, Feed: feed, Limit: 1000, Cursor: cursor})
		if err != nil {
			sc.err = err
			return nil
		}
		out = append(out, page...)
		if next == "" {
			break
		}
		if len(out) >= maxInboxScan {
			sc.truncated = true
			break
		}
		cursor = next
	}
	return out
}

// unreplied returns the partners' records of typ that no record of
// replyType by self refers to (refers returns the feed and seq a reply
// names).
func (sc *scanner) unreplied(self, typ, replyType string, refers func(json.RawMessage) (string, uint64)) []node.RecordView {
	replied := map[entryKey]bool{}
	replies := sc.all(replyType, self)
	withdrawn := sc.replaced()
	for _, r := range replies {
		if s, ok := supersedes(r.Record); ok {
			withdrawn[recordKey{r.Feed, s.Seq, s.Item}] = true
		}
	}
	for _, r := range replies {
		if !withdrawn[recordKey{r.Feed, r.Seq, 0}] { // a withdrawn reply answers nothing
			f, s := refers(r.Record)
			replied[entryKey{f, s}] = true
		}
	}
	list := sc.all(typ, "")
	gone := sc.replaced()
	for _, r := range list {
		if s, ok := supersedes(r.Record); ok {
			gone[recordKey{r.Feed, s.Seq, s.Item}] = true
		}
	}
	out := []node.RecordView{}
	for _, r := range list {
		if r.Feed != self && len(r.Record) > 0 && string(r.Record) != "null" &&
			!replied[entryKey{r.Feed, r.Seq}] && !gone[recordKey{r.Feed, r.Seq, 0}] {
			out = append(out, r)
		}
	}
	return out
}

// recordKey names a record: its entry, and its item in a batch (0 for a
// lone record, as in [protocol.Supersedes]).
type recordKey struct {
	feed string
	seq  uint64
	item int
}

// replaced returns a new set of the records a withdrawal removed.
func (sc *scanner) replaced() map[recordKey]bool {
	if sc.withdrawn == nil {
		sc.withdrawn = map[recordKey]bool{}
		for _, r := range sc.all("withdrawal", "") {
			if s, ok := supersedes(r.Record); ok {
				sc.withdrawn[recordKey{r.Feed, s.Seq, s.Item}] = true
			}
		}
	}
	return maps.Clone(sc.withdrawn)
}

// supersedes returns the record a body corrects or withdraws, if any.
func supersedes(body json.RawMessage) (protocol.Supersedes, bool) {
	var r struct {
		Supersedes *protocol.Supersedes `json:"supersedes"`
	}
	if json.Unmarshal(body, &r) != nil || r.Supersedes == nil {
		return protocol.Supersedes{}, false
	}
	return *r.Supersedes, true
}

type entryKey struct {
	feed string
	seq  uint64
}

// unconfirmed returns the certificates destined to self without self's
// import confirmation, and self's certificates without their
// destination's. A confirmation matches a certificate by issuer and number
// and must come from the certificate's destination.
func (sc *scanner) unconfirmed(self string) (toConfirm, ours []CertificateRef) {
	type confKey struct{ by, issuer, number string }
	confirmed := map[confKey]bool{}
	for _, c := range sc.current(sc.items("import_confirmation")) {
		var cf struct {
			Number string `json:"certificate_number"`
			Issuer string `json:"issuer"`
		}
		json.Unmarshal(c.body, &cf)
		confirmed[confKey{c.ref.Feed, cf.Issuer, cf.Number}] = true
	}
	toConfirm, ours = []CertificateRef{}, []CertificateRef{}
	for _, c := range sc.current(sc.items("certificate")) {
		ref := c.ref
		var cert struct {
			Number      string `json:"number"`
			Issuer      string `json:"issuer"`
			Destination string `json:"destination"`
			Issued      string `json:"issued"`
		}
		json.Unmarshal(c.body, &cert)
		ref.Number, ref.Issuer, ref.Destination, ref.Issued = cert.Number, cert.Issuer, cert.Destination, cert.Issued
		if confirmed[confKey{cert.Destination, cert.Issuer, cert.Number}] {
			continue
		}
		switch {
		case ref.Feed == self:
			ours = append(ours, ref)
		case cert.Destination == self:
			toConfirm = append(toConfirm, ref)
		}
	}
	return toConfirm, ours
}

// current returns the items no withdrawal and no other item of the list
// supersedes: a corrected or withdrawn confirmation confirms nothing, a
// corrected certificate awaits confirmation once, as corrected.
func (sc *scanner) current(items []item) []item {
	gone := sc.replaced()
	for _, c := range items {
		if s, ok := supersedes(c.body); ok {
			gone[recordKey{c.ref.Feed, s.Seq, s.Item}] = true
		}
	}
	out := items[:0:0]
	for _, c := range items {
		if !gone[recordKey{c.ref.Feed, c.ref.Seq, max(c.ref.Item, 0)}] {
			out = append(out, c)
		}
	}
	return out
}

// item is one record of a type, alone or in a batch.
type item struct {
	ref  CertificateRef // Feed, Seq, Item, Time only
	body json.RawMessage
}

// items returns the records of typ, lone and in batches, newest first.
// The batches are read once per scanner, for every type.
func (sc *scanner) items(typ string) []item {
	var out []item
	for _, r := range sc.all(typ, "") {
		out = append(out, item{CertificateRef{Feed: r.Feed, Seq: r.Seq, Item: -1, Time: r.Time}, r.Record})
	}
	if sc.batches == nil {
		sc.batches = sc.batchItems()
	}
	return append(out, sc.batches[typ]...)
}

// batchItems reads every batch this node holds and returns their items by
// record type.
func (sc *scanner) batchItems() map[string][]item {
	byType := map[string][]item{}
	for _, r := range sc.all("batch", "") {
		var b struct {
			Type  string            `json:"type"`
			Items []json.RawMessage `json:"items"`
		}
		if json.Unmarshal(r.Record, &b) != nil { // unreadable (not addressed here): skipped
			continue
		}
		for i, it := range b.Items {
			byType[b.Type] = append(byType[b.Type], item{CertificateRef{Feed: r.Feed, Seq: r.Seq, Item: i, Time: r.Time}, it})
		}
	}
	return byType
}
