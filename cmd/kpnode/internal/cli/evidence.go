package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

const evidenceSynopsis = "export --author CODE --seq N [--item N] [--out FILE] [--attachments DIR] | verify FILE|- [--json] [--attachments DIR]"

func runEvidence(e *env, args []string) error {
	if len(args) == 0 {
		return usageErrorf("evidence needs a subcommand: %s", evidenceSynopsis)
	}
	switch args[0] {
	case "export":
		return runEvidenceExport(e, args[1:])
	case "verify":
		return runEvidenceVerify(e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.Err, "Usage: kpnode evidence %s\n", evidenceSynopsis)
		return nil
	}
	return usageErrorf("evidence: unknown subcommand %q (want export or verify)", args[0])
}

// evidenceExportFlags are the flags of "kpnode evidence export".
type evidenceExportFlags struct {
	home, author, out, passFile, files string
	seq                                uint64
	item                               int
}

func runEvidenceExport(e *env, args []string) error {
	fs, homeFlag := e.newFlags("evidence export", "--author CODE --seq N [--item N] [--out FILE]")
	f := evidenceExportFlags{}
	fs.StringVar(&f.author, "author", "", "the feed's author: a partner code (default: this node)")
	fs.Uint64Var(&f.seq, "seq", 0, "the entry's sequence number")
	fs.IntVar(&f.item, "item", 0, "for a batch entry: the item to single out, counting from 1 (1, 2, …)")
	fs.StringVar(&f.out, "out", "", "write the bundle to this file (mode 0600) instead of standard output")
	fs.StringVar(&f.files, "attachments", "", "also write the record's attached files into this directory (the daemon must run; evidence verify --attachments checks them)")
	fs.StringVar(&f.passFile, "passphrase-file", "", "the node passphrase, needed with the daemon stopped to open an encrypted store and for records stored before salts were kept")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageErrorf("evidence export: unexpected %q", pos[0])
	}
	if f.seq == 0 {
		return usageErrorf("evidence export needs --seq N (N ≥ 1)")
	}
	if flagSet(fs, "item") && f.item < 1 {
		return usageErrorf("evidence export: --item %d: items count from 1 (the first record of a batch is --item 1)", f.item)
	}
	f.home = *homeFlag
	b, err := e.exportEvidence(f)
	if err != nil {
		return err
	}
	if err := e.writeBundle(f.out, b); err != nil || f.files == "" {
		return err
	}
	return e.exportFiles(f, b) // attachments: the files beside the bundle
}

// exportEvidence asks the daemon for the bundle, or builds it from the
// store when the daemon is stopped.
func (e *env) exportEvidence(f evidenceExportFlags) ([]byte, error) {
	var out []byte
	direct := func(h home.Home, cfg node.Config, st *store.Store) error {
		id, err := e.optionalIdentity(h, f.passFile)
		if err != nil {
			return err
		}
		b, err := node.ExportEvidence(st, cfg, id, f.request(cfg.Participant))
		if err == nil {
			out = b.Encode()
		}
		return err
	}
	viaAPI := func(c *client) error {
		req := f.request(c.cfg.Participant)
		path := fmt.Sprintf("/api/evidence/%s/%d", url.PathEscape(req.Feed), req.Seq)
		if req.Item != nil {
			path += fmt.Sprintf("?item=%d", *req.Item)
		}
		return c.do(e, "GET", path, nil, &out)
	}
	return out, e.localStore(f.home, f.passFile, direct, viaAPI)
}

// request is the evidence request the flags name; the author defaults to
// self.
func (f evidenceExportFlags) request(self string) node.EvidenceRequest {
	req := node.EvidenceRequest{Feed: strings.ToUpper(f.author), Seq: f.seq}
	if req.Feed == "" {
		req.Feed = self
	}
	if f.item > 0 {
		item := f.item - 1 // the API and the bundle count from 0, as the wire does
		req.Item = &item
	}
	return req
}

// optionalIdentity reads the node's keys if it can: without a passphrase
// for protected keys it returns nil, and the export does without them.
func (e *env) optionalIdentity(h home.Home, passFile string) (*crypto.Identity, error) {
	pass, err := e.passphrase(passFile)
	if err != nil {
		return nil, err
	}
	id, err := h.ReadIdentity(pass)
	if errors.Is(err, crypto.ErrPassphraseRequired) {
		return nil, nil
	}
	return id, err
}

// writeBundle writes a bundle to path (0600: it holds a plaintext record),
// or to standard output.
func (e *env) writeBundle(path string, b []byte) error {
	if path == "" {
		_, err := e.Out.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Wrote the evidence bundle to %s (%d bytes). Check it with: kpnode evidence verify %s\n", path, len(b), path)
	return nil
}

func runEvidenceVerify(e *env, args []string) error {
	fs, _ := e.newFlags("evidence verify", "FILE|- [--json] [--attachments DIR]")
	asJSON := fs.Bool("json", false, "print what the bundle proves as JSON")
	files := fs.String("attachments", "", "also check the record's attached files in this directory against the sizes and SHA-256 the signed record names")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("evidence verify needs one FILE (or - for standard input)")
	}
	raw, err := e.readInput(pos[0], protocol.MaxEvidenceBundleSize)
	if err != nil {
		return err
	}
	p, err := verifyBundle(raw)
	if err != nil {
		return &cliError{code: ExitProblems, err: fmt.Errorf("%s: %w", pos[0], err),
			hint: "the bundle proves nothing; ask its sender for the bundle as exported (kpnode evidence export)"}
	}
	if *asJSON {
		err = printJSON(e.Out, provenView(p))
	} else {
		printProven(e, p)
	}
	if err != nil || *files == "" {
		return err
	}
	return checkFiles(e, p, *files) // attachments: offline check of the files
}

func verifyBundle(raw []byte) (*protocol.ProvenRecord, error) {
	b, err := protocol.DecodeEvidenceBundle(raw)
	if err != nil {
		return nil, err
	}
	return b.Verify()
}

// provenJSON is what "evidence verify --json" prints.
type provenJSON struct {
	Valid       bool            `json:"valid"`
	Author      string          `json:"author"`
	Name        string          `json:"name"`
	Fingerprint string          `json:"fingerprint"`
	PeerID      string          `json:"peer_id"`
	Seq         uint64          `json:"seq"`
	Hash        protocol.Hash   `json:"hash"`
	Time        time.Time       `json:"time"`
	Type        string          `json:"type"`
	Audience    []string        `json:"audience"`
	Record      json.RawMessage `json:"record"`
	Item        *int            `json:"item,omitempty"`
	ItemType    string          `json:"item_type,omitempty"`
	ItemRecord  json.RawMessage `json:"item_record,omitempty"`
}

func provenView(p *protocol.ProvenRecord) provenJSON {
	v := provenJSON{Valid: true, Author: p.Card.Card.Code, Name: p.Card.Card.Name, Fingerprint: p.Card.Fingerprint(),
		PeerID: p.Card.Card.PeerID, Seq: p.Entry.Seq, Hash: p.Entry.Hash(), Time: p.Entry.Time, Type: p.Entry.Type,
		Audience: p.Entry.Audience, Record: p.Body, Item: p.Item, ItemType: p.ItemType, ItemRecord: p.ItemBody}
	if v.Audience == nil {
		v.Audience = []string{}
	}
	return v
}

func printProven(e *env, p *protocol.ProvenRecord) {
	c, en := p.Card.Card, p.Entry
	fmt.Fprintf(e.Out, "VALID: %s (%s) signed entry %d of its feed, a %s record.\n", c.Code, c.Name, en.Seq, en.Type)
	fmt.Fprintf(e.Out, "  author        %s  %s\n  fingerprint   %s\n  peer id       %s\n", c.Code, c.Name, p.Card.Fingerprint(), c.PeerID)
	fmt.Fprintf(e.Out, "  entry         seq %d, hash %s\n  time          %s (the author's clock)\n", en.Seq, en.Hash(), en.Time.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(e.Out, "  type          %s\n  audience      %s\n", en.Type, orDash(strings.Join(en.Audience, ",")))
	record, what := p.Body, "record"
	if p.Item != nil {
		fmt.Fprintf(e.Out, "  item          %d of the batch (counting from 1), a %s record\n", *p.Item+1, p.ItemType)
		record, what = p.ItemBody, "item"
	}
	fmt.Fprintf(e.Out, "The %s:\n%s\n", what, indentJSON(record))
	fmt.Fprintln(e.Out, "Checked: the card's self-signature; the entry's signature, by the card's key; that salt and body open the")
	fmt.Fprintf(e.Out, "entry's signed commitment; that the body is a valid %s record", en.Type)
	if p.Item != nil {
		fmt.Fprintf(e.Out, "; that the item is item %d of the batch", *p.Item+1)
	}
	fmt.Fprintln(e.Out, ".")
	fmt.Fprintln(e.Out, "Compare the fingerprint with the one the participant published or read out to you: the card proves")
	fmt.Fprintln(e.Out, "only that this key claims to be "+c.Code+".")
}

// indentJSON indents a JSON document for display; other bytes are quoted.
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "  ", "  "); err != nil {
		return fmt.Sprintf("  %q", b)
	}
	return "  " + out.String()
}
