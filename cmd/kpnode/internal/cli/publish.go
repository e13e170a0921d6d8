package cli

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/node"
)

const maxRecordFile = 1 << 20

func runPublish(e *env, args []string) error {
	fs, homeFlag := e.newFlags("publish", "--type TYPE [--to CODES|all [--allow-non-party]] [--attach FILE]... FILE|-")
	var attach multiFlag
	fs.Var(&attach, "attach", "a file to attach (a photo, a scan); repeat for more")
	typ := fs.String("type", "", "record type, e.g. notice")
	to := fs.String("to", "", "comma-separated partner codes, or all (default: the record's parties)")
	nonParty := fs.Bool("allow-non-party", false, "allow --to to name partners not party to the record (audited)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *typ == "" || len(pos) != 1 {
		return usageErrorf("publish needs --type TYPE and one record FILE (or - for standard input)")
	}
	rec, err := e.readInput(pos[0], maxRecordFile)
	if err != nil {
		return err
	}
	if !json.Valid(rec) {
		return fmt.Errorf("%s: not valid JSON", pos[0])
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	if len(attach) > 0 {
		files, err := c.uploadAll(e, attach)
		if err != nil {
			return err
		}
		if rec, err = withAttachments(rec, files); err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
	}
	body, _ := json.Marshal(api.PublishRequest{To: splitCodes(*to), Record: rec, AllowNonParty: *nonParty})
	var p node.Published
	if err := c.do(e, "POST", "/api/records/"+url.PathEscape(*typ), body, &p); err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	if *asJSON {
		return printJSON(e.Out, p)
	}
	fmt.Fprintf(e.Out, "Published %s as entry %d to %s\n  hash  %s\n  size  %d bytes\n",
		p.Type, p.Seq, audienceText(p.Audience), p.Hash, p.Size)
	printAudienceNotes(e, p.NonParty, p.Warnings)
	return nil
}
