package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"filippo.io/age"
	"github.com/kpnode/kpnode/protocol"
)

// ImportResult reports what an import did (or, on a dry run, would do).
type ImportResult struct {
	Type string `json:"type"`
	// ImportID names the import in its "import_progress" events.
	ImportID string      `json:"import_id,omitempty"`
	Records  int         `json:"records"` // records in the file
	New      int         `json:"new"`     // records not held before
	Skipped  int         `json:"skipped"` // already held with the same data
	DryRun   bool        `json:"dry_run"`
	Entries  []Published `json:"entries"` // the entries appended: batches, or one per record for a type no batch carries
	// NonParty lists the partners that receive records they are not
	// party to, as the request allowed (audited).
	NonParty []string `json:"non_party,omitempty"`
	// AsOriginals counts the records whose supersedes an import as
	// originals dropped (audited).
	AsOriginals int `json:"as_originals,omitempty"`
	// Warnings say what the operator should know: parties to records
	// that no pinned partner stands for.
	Warnings []string `json:"warnings,omitempty"`
}

// ErrImportConflict is returned by [Node.Import] when a record's natural
// key is already held with different data (and the record is not a
// correction of it), or is the same as a version corrected since.
var ErrImportConflict = errors.New("record already held with different data")

// ImportRequest is an import of records of one type, for
// [Node.ImportRecords].
type ImportRequest struct {
	Type   string   // the record type
	Items  [][]byte // validated bodies, in file order
	To     []string // partner codes, the single value AudienceAll, or none for each record's parties
	DryRun bool     // only check: write nothing
	// AllowNonParty allows To to name partners that are not party to
	// some records; the import is then audited as such.
	AllowNonParty bool
	// AsOriginals publishes every record without its supersedes: the
	// import of another node's export (import_originals.go); audited.
	AsOriginals bool
	File        string // the imported file's name, for the audit log
	Format      string // its format (csv or json), for the audit log
	// Progress reports the check and publish phases; nil reports nothing.
	Progress *ImportProgress
}

// Import publishes records of one type (validated bodies, in file order)
// to the audience, packed into batch entries within the size limit (a
// type not in [protocol.BatchTypes], an annual report, one entry each). Records
// this node already published with the same data are skipped, so importing
// a file again adds nothing; one held with different data fails the whole
// import before anything is written (publish a correction instead). With
// dryRun nothing is written.
func (n *Node) Import(ctx context.Context, typ string, items [][]byte, to []string, dryRun bool) (ImportResult, error) {
	return n.ImportRecords(ctx, ImportRequest{Type: typ, Items: items, To: to, DryRun: dryRun})
}

// ImportRecords is [Node.Import] with the file's name and format, which
// go to the audit log. An import that appended entries is appended to the
// audit log after its last entry (each batch entry is its own transaction,
// synced before it is pushed, so the audit record cannot share one); when
// that fails, the import returns an error even though its entries, signed
// in this node's feed, are published.
func (n *Node) ImportRecords(ctx context.Context, req ImportRequest) (ImportResult, error) {
	if !req.DryRun {
		if err := n.own.CheckAppend(); err != nil {
			return ImportResult{}, err
		}
		release, err := n.ownWrites.take(ctx)
		if err != nil {
			return ImportResult{}, fmt.Errorf("import: wait for another import or publish: %w", err)
		}
		defer release()
	}
	res, err := n.importRecords(ctx, req)
	if req.DryRun || (err != nil && len(res.Entries) == 0) {
		return res, err
	}
	if aerr := n.auditAs(actorOf(ctx), AuditImport, importAudit(req, res, err)); aerr != nil {
		return res, fmt.Errorf("import: %d entries published: %w", len(res.Entries), aerr)
	}
	if aerr := n.auditNonParty(actorOf(ctx), req.Type, publishedSeqs(res.Entries), res.NonParty, res.New); aerr != nil {
		return res, fmt.Errorf("import: %d entries published: %w", len(res.Entries), aerr)
	}
	return res, err
}

// importAudit is the audit record's details of an import.
func importAudit(req ImportRequest, res ImportResult, err error) map[string]any {
	seqs := make([]uint64, 0, len(res.Entries))
	audience := []string{}
	for _, p := range res.Entries {
		seqs = append(seqs, p.Seq)
		audience = append(audience, p.Audience...)
	}
	slices.Sort(audience)
	d := map[string]any{"type": req.Type, "file": req.File, "format": req.Format, "records": res.Records,
		"new": res.New, "skipped": res.Skipped, "audience": slices.Compact(audience), "entries": seqs}
	if len(res.NonParty) > 0 {
		d["non_party"] = res.NonParty
	}
	if req.AsOriginals {
		d["as_originals"] = res.AsOriginals
	}
	if err != nil {
		d["error"] = err.Error()
	}
	return d
}

func (n *Node) importRecords(ctx context.Context, req ImportRequest) (ImportResult, error) {
	res := ImportResult{Type: req.Type, ImportID: req.Progress.ID(), Records: len(req.Items), DryRun: req.DryRun, Entries: []Published{}}
	rule, err := n.newAudienceRule(req.To, req.AllowNonParty)
	if err != nil {
		return res, err
	}
	if req.AsOriginals {
		if req.Items, res.AsOriginals, err = asOriginals(req.Items); err != nil {
			return res, err
		}
	}
	if !req.DryRun { // a dry run's files may not be uploaded yet: kpnode import checks them on the clerk's computer
		release, err := n.leaseImportFiles(req.Type, req.Items) // attachments: held whole, not collected until published
		if err != nil {
			return res, err
		}
		defer release()
	}
	fresh, err := n.freshItems(req.Type, req.Items, req.Progress)
	if err != nil {
		return res, err
	}
	res.New, res.Skipped = len(fresh), len(req.Items)-len(fresh)
	groups, nonParty, warnings, err := n.importGroups(rule, req.Type, fresh)
	if err != nil {
		return res, err
	}
	res.NonParty, res.Warnings = nonParty, warnings
	if req.DryRun || len(fresh) == 0 {
		return res, nil
	}
	req.Progress.Report(PhasePublish, 0, len(fresh))
	published := 0
	for _, g := range groups {
		if err := n.importGroup(ctx, req, rule, g, &res, &published); err != nil {
			return res, err
		}
	}
	n.log.Info("import done", "type", req.Type, "records", res.Records, "new", res.New, "entries", len(res.Entries))
	return res, nil
}

// importGroup publishes the records of one audience in batch entries,
// or each in an entry of its own for a type no batch may carry, counting
// them in published.
func (n *Node) importGroup(ctx context.Context, req ImportRequest, rule *audienceRule, g audienceGroup, res *ImportResult, published *int) error {
	audience, rcpts := g.codes, append(rule.recipients(g.codes), n.self.Seal)
	if !slices.Contains(protocol.BatchTypes, req.Type) {
		return n.importLone(ctx, req, audience, rcpts, g.items, res, published)
	}
	batches, err := protocol.PackBatches(req.Type, g.items, batchBodyLimit(len(audience), len(rcpts), n.st.MaxEntrySize()))
	if err != nil {
		return fmt.Errorf("pack batches: %w", err)
	}
	for _, body := range batches {
		parsed, err := parseRecord(protocol.BatchType, body)
		if err != nil {
			return fmt.Errorf("import: packed batch: %w", err)
		}
		p, err := n.publishSealed(ctx, protocol.BatchType, body, audience, rcpts, parsed)
		if err != nil {
			return fmt.Errorf("import: %d batch entries appended, then: %w", len(res.Entries), err)
		}
		res.Entries = append(res.Entries, p)
		*published += len(parsed.values)
		req.Progress.Report(PhasePublish, *published, res.New)
	}
	return nil
}

// importLone publishes each item as an entry of its own: the types an
// import takes that [protocol.BatchTypes] lacks (annual reports), which a
// batch would carry to no node released before them. Items are validated
// and checked against this node's feed before the first is published, as
// a batch's are; each entry is its own transaction, so an import cut off
// part-way and run again publishes only the items still missing.
func (n *Node) importLone(ctx context.Context, req ImportRequest, audience []string, rcpts []age.Recipient, items [][]byte, res *ImportResult, published *int) error {
	for _, it := range items {
		parsed, err := parseRecord(req.Type, it)
		if err != nil {
			return fmt.Errorf("import: record: %w", err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, it); err != nil {
			return fmt.Errorf("import: record: %w", err)
		}
		p, err := n.publishSealed(ctx, req.Type, compact.Bytes(), audience, rcpts, parsed)
		if err != nil {
			return fmt.Errorf("import: %d entries appended, then: %w", len(res.Entries), err)
		}
		res.Entries = append(res.Entries, p)
		*published++
		req.Progress.Report(PhasePublish, *published, res.New)
	}
	return nil
}

// batchBodyLimit is the largest batch body, at most [protocol.MaxBodySize],
// whose entry sealed for audience codes and recipients is at most
// maxEntry bytes: the body limit less the envelope (age header for the
// recipients, chunk tags, entry framing and signature), computed from the
// formats. On disk maxEntry (64 MiB) leaves the body limit as it is; the
// in-memory store's 1 MiB takes the envelope off the body. It is negative
// when not even an empty body fits, which PackBatches refuses.
func batchBodyLimit(audience, recipients, maxEntry int) int {
	fits := func(body int) bool {
		return protocol.SealedEntrySizeBound(protocol.BatchType, audience, recipients, body) <= maxEntry
	}
	// The largest body that fits: the size grows with the body.
	return sort.Search(protocol.MaxBodySize+1, func(b int) bool { return !fits(b) }) - 1
}

func publishedSeqs(ps []Published) []uint64 {
	seqs := make([]uint64, 0, len(ps))
	for _, p := range ps {
		seqs = append(seqs, p.Seq)
	}
	return seqs
}

// freshItems returns the items this node has not published yet. It fails
// on an item whose natural key this node holds with other data, and on a
// correction that does not name a current record of its own (an
// *[ImportProblems] listing every such item).
func (n *Node) freshItems(typ string, items [][]byte, prog *ImportProgress) ([][]byte, error) {
	vals := make([]protocol.Record, len(items))
	need := false
	prog.Report(PhaseCheck, 0, len(items))
	for i, it := range items {
		p, err := parseRecord(typ, it)
		if err == nil {
			err = protocol.CheckAuthor(n.cfg.Participant, p.top)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %w", ErrInvalidRecord, i+1, err)
		}
		vals[i] = p.top
		if !need {
			if need, err = n.needOwnView(p.top); err != nil {
				return nil, err
			}
		}
		if (i+1)%checkProgressEvery == 0 || i+1 == len(items) {
			prog.Report(PhaseCheck, i+1, len(items))
		}
	}
	if !need {
		return items, nil
	}
	view, err := n.newOwnView(typ)
	if err != nil {
		return nil, err
	}
	var fresh [][]byte
	var problems []RecordProblem
	for i, it := range items {
		ok, p := view.check(i, vals[i], it)
		if p != nil {
			problems = append(problems, *p)
		} else if ok {
			fresh = append(fresh, it)
		}
	}
	if err := errImportProblems(problems); err != nil {
		return nil, err
	}
	return fresh, nil
}

// checkProgressEvery is how many records the check phase takes between
// two reports (each report takes a lock; the events are throttled by time).
const checkProgressEvery = 64

// needOwnView reports whether a record is a correction or has a natural
// key this node holds a record of its own under: only then does the import
// read this node's records of the type.
func (n *Node) needOwnView(v protocol.Record) (bool, error) {
	if v == nil { // a type without a typed parser: nothing to correct
		return false, nil
	}
	if v.Replaces() != nil {
		return true, nil
	}
	refs, err := n.st.LookupKey(naturalKeyOf(v))
	if err != nil {
		return false, err
	}
	self := n.id.Public()
	for _, r := range refs {
		if r.Author == self {
			return true, nil
		}
	}
	return false, nil
}

func jsonEqual(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
