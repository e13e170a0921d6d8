package cli

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/node"
)

func runFeed(e *env, args []string) error {
	fs, homeFlag := e.newFlags("feed", "[--author CODE] [--from SEQ] [--limit N] [--json]")
	author := fs.String("author", "", "whose feed: a partner code (default: this node's own)")
	from := fs.Uint64("from", 1, "first sequence number")
	limit := fs.Uint64("limit", 1000, "at most this many entries")
	asJSON := fs.Bool("json", false, "print JSON, with the decrypted records")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	who := strings.ToUpper(*author)
	if who == "" {
		var s node.Status
		if err := c.do(e, "GET", "/api/status", nil, &s); err != nil {
			return err
		}
		who = s.Participant
	}
	path := fmt.Sprintf("/api/feeds/%s/entries?from=%d&limit=%d", url.PathEscape(who), *from, *limit)
	var entries []node.FeedEntry
	if err := c.do(e, "GET", path, nil, &entries); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Out, entries)
	}
	return printFeed(e, who, entries)
}

func printFeed(e *env, who string, entries []node.FeedEntry) error {
	if len(entries) == 0 {
		fmt.Fprintf(e.Out, "Feed %s has no entries yet.\n", who)
		return nil
	}
	rows := make([][]string, 0, len(entries))
	for _, en := range entries {
		rows = append(rows, []string{strconv.FormatUint(en.Seq, 10), stamp(en.Time), en.Type,
			orDash(strings.Join(en.Audience, ",")), strconv.Itoa(en.Size), en.Hash.Short(), summary(en)})
	}
	return table(e.Out, []string{"SEQ", "TIME", "TYPE", "AUDIENCE", "SIZE", "HASH", "RECORD"}, rows)
}

// summary is a one-line view of a readable record.
func summary(en node.FeedEntry) string {
	if len(en.Record) == 0 {
		return "(not addressed to this node)"
	}
	s := string(en.Record)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
