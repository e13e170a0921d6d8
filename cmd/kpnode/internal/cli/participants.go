package cli

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

const participantsSynopsis = "[--at DATE] [--json] | apply FILE|- [--dry-run] [--json] | trust CODE | distrust CODE"

// runParticipants shows the participant list as of a date, with where
// each entry came from, applies a participant-list update file, or sets
// which partners' participant_update records apply.
func runParticipants(e *env, args []string) error {
	fs, homeFlag := e.newFlags("participants", participantsSynopsis)
	at := fs.String("at", "", "show the list as of this date, YYYY-MM-DD (default today)")
	dry := fs.Bool("dry-run", false, "apply: only check the file, change nothing")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkParticipantsArgs(pos, *at, *dry); err != nil {
		return err
	}
	if len(pos) == 0 {
		return showParticipants(e, *homeFlag, *at, *asJSON)
	}
	var body []byte
	if pos[0] == "apply" {
		if body, err = e.readInput(pos[1], node.MaxParticipantUpdatesBytes); err != nil {
			return err
		}
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	if pos[0] == "apply" {
		return applyParticipantUpdates(e, c, pos[1], body, *dry, *asJSON)
	}
	return trustForParticipants(e, c, pos[0] == "trust", strings.ToUpper(pos[1]))
}

func checkParticipantsArgs(pos []string, at string, dry bool) error {
	switch {
	case len(pos) == 0:
	case pos[0] == "apply" && len(pos) == 2, pos[0] == "trust" && len(pos) == 2, pos[0] == "distrust" && len(pos) == 2:
	case pos[0] == "apply":
		return usageErrorf("participants apply needs one FILE (or - for standard input)")
	case pos[0] == "trust" || pos[0] == "distrust":
		return usageErrorf("participants %s needs one partner CODE", pos[0])
	default:
		return usageErrorf("participants: unexpected %q (want: kpnode participants %s)", pos[0], participantsSynopsis)
	}
	if dry && (len(pos) == 0 || pos[0] != "apply") {
		return usageErrorf("participants: --dry-run goes with apply only")
	}
	if at != "" && len(pos) > 0 {
		return usageErrorf("participants %s: --at goes with the listing only", pos[0])
	}
	if _, err := protocol.ParseDate(at); at != "" && err != nil {
		return usageErrorf("participants --at: %v", err)
	}
	return nil
}

// showParticipants prints the list from the running node; without an
// initialised home or a running node, the built-in list, saying so (the
// codes are what kpnode init asks for).
func showParticipants(e *env, homeFlag, at string, asJSON bool) error {
	l, err := fetchParticipants(e, homeFlag, at)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, l)
	}
	rows := make([][]string, 0, len(l.Participants))
	for _, p := range l.Participants {
		rows = append(rows, []string{p.Code, orDash(p.Name), orDash(p.Kind), p.Status, orDash(sinceOf(p.Member)), orDash(p.Decision), p.Source.String()})
	}
	if err := table(e.Out, []string{"CODE", "NAME", "KIND", "STATUS", "SINCE", "DECISION", "SOURCE"}, rows); err != nil {
		return err
	}
	printMembershipNotes(e, l)
	return nil
}

func sinceOf(m protocol.Member) string {
	if m.Since.IsZero() {
		return ""
	}
	return m.Since.String()
}

func fetchParticipants(e *env, homeFlag, at string) (node.ParticipantList, error) {
	var l node.ParticipantList
	c, err := e.client(homeFlag)
	if errors.Is(err, home.ErrNotInitialised) {
		fmt.Fprintln(e.Err, "No node here: the built-in list, without the updates a node applies.")
		return builtinParticipants(at), nil
	}
	if err != nil {
		return l, err
	}
	path := "/api/membership"
	if at != "" {
		path += "?at=" + url.QueryEscape(at)
	}
	err = c.do(e, "GET", path, nil, &l)
	var ce *cliError
	if errors.As(err, &ce) && ce.code == ExitUnreachable {
		fmt.Fprintf(e.Err, "No node running at %s: the built-in list, without the updates the node applies.\n", c.home.Dir)
		return builtinParticipants(at), nil
	}
	return l, err
}

// builtinParticipants is the built-in list as of at, as a node with no
// update would answer it.
func builtinParticipants(at string) node.ParticipantList {
	d, _ := protocol.ParseDate(at)
	l := node.ParticipantList{At: d, Trusted: []string{}, Files: []node.UpdateFileInfo{}, Ignored: []node.IgnoredUpdate{}}
	for _, m := range protocol.BuiltinMembership().List(d) {
		l.Participants = append(l.Participants, node.ParticipantEntry{Member: m, History: []protocol.MembershipChange{}})
	}
	return l
}

func printMembershipNotes(e *env, l node.ParticipantList) {
	if len(l.Trusted) > 0 {
		fmt.Fprintf(e.Out, "\nPartners trusted for the list: %s\n", strings.Join(l.Trusted, ", "))
	}
	for _, f := range l.Files {
		fmt.Fprintf(e.Out, "Applied %s (%d updates, sha256 %.12s…) %s by %s\n", f.File, f.Updates, f.SHA256, stamp(f.Applied), f.By)
	}
	for _, ig := range l.Ignored {
		what := "record"
		if ig.Type == protocol.NoticeType {
			what = "notice"
		}
		fmt.Fprintf(e.Out, "Ignored: partner %s's %s seq %d (%s %s from %s): %s\n",
			ig.Partner, what, ig.Seq, ig.Update.Participant, ig.Update.Change, ig.Update.Effective, ig.Reason)
	}
}

func applyParticipantUpdates(e *env, c *client, name string, body []byte, dry, asJSON bool) error {
	q := url.Values{"file": {filepath.Base(name)}}
	if name == "-" {
		q.Set("file", "stdin")
	}
	if dry {
		q.Set("dry_run", "true")
	}
	var res node.ParticipantUpdatesResult
	if err := c.upload(e, "/api/membership/updates?"+q.Encode(), body, &res); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, res)
	}
	if res.DryRun {
		_, err := fmt.Fprintf(e.Out, "Checked (dry run, nothing changed) %s: %d updates\n", res.File, res.Updates)
		return err
	}
	_, err := fmt.Fprintf(e.Out, "Applied %s: %d updates; every check reads the list as of each record's date (kpnode participants)\n", res.File, res.Updates)
	return err
}

func trustForParticipants(e *env, c *client, trusted bool, code string) error {
	method, verb := "PUT", "now apply"
	if !trusted {
		method, verb = "DELETE", "no longer apply"
	}
	var l node.ParticipantList
	if err := c.do(e, method, "/api/membership/trusted/"+url.PathEscape(code), nil, &l); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.Out, "%s's participant-list updates %s on this node; trusted: %s\n", code, verb, orDash(strings.Join(l.Trusted, ", ")))
	return err
}
