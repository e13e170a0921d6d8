package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/node"
)

func runFindings(e *env, args []string) error {
	fs, home := e.newFlags("findings", "[--json] [--open] [--rule ID] [--partner CODE] [--since DATE] [--severity LEVEL] | explain ID | ack ID [--note TEXT]")
	asJSON := fs.Bool("json", false, "print JSON")
	rule := fs.String("rule", "", "only this rule: R1…R12 or its name")
	partner := fs.String("partner", "", "only findings concerning this partner")
	since := fs.String("since", "", "only findings since this date (YYYY-MM-DD)")
	severity := fs.String("severity", "", "this severity or a more urgent one: info, warning, critical")
	open := fs.Bool("open", false, "only findings nobody acknowledged")
	note := fs.String("note", "", "a note kept with the acknowledgement (ack)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	c, err := e.client(*home)
	if err != nil {
		return err
	}
	if len(pos) > 0 && pos[0] == "explain" {
		if len(pos) != 2 {
			return usageErrorf("findings explain needs one finding ID")
		}
		return explainFinding(e, c, pos[1], *asJSON)
	}
	if len(pos) > 0 && pos[0] == "ack" {
		if len(pos) != 2 {
			return usageErrorf("findings ack needs one finding ID")
		}
		return ackFinding(e, c, pos[1], *note)
	}
	if len(pos) > 0 {
		return usageErrorf("findings: unexpected %q", pos[0])
	}
	q := url.Values{"rule": {*rule}, "partner": {*partner}, "since": {*since}, "severity": {*severity}, "open": {fmt.Sprint(*open)}}
	var list []node.FindingView
	if err := c.do(e, "GET", "/api/findings?"+q.Encode(), nil, &list); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Out, list)
	}
	return printFindings(e, list)
}

func ackFinding(e *env, c *client, id, note string) error {
	body, err := json.Marshal(api.AckFindingRequest{ID: id, Note: note})
	if err != nil {
		return err
	}
	var v node.FindingView
	if err := c.do(e, "POST", "/api/findings/ack", body, &v); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Acknowledged %s (%s); it opens again if its severity rises.\n", v.ID, v.Severity)
	return nil
}

func printFindings(e *env, list []node.FindingView) error {
	if len(list) == 0 {
		fmt.Fprintln(e.Out, "No findings.")
		return nil
	}
	rows := make([][]string, 0, len(list))
	for _, f := range list {
		ack := "-"
		if f.Ack != nil {
			ack = stamp(f.Ack.Time)
		}
		rows = append(rows, []string{f.ID, string(f.Severity), orDash(f.Partner), ack, f.Explanation})
	}
	if err := table(e.Out, []string{"ID", "SEVERITY", "PARTNER", "ACKNOWLEDGED", "EXPLANATION"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "%d finding(s). kpnode findings explain ID shows the numbers behind one.\n", len(list))
	return nil
}

func explainFinding(e *env, c *client, id string, asJSON bool) error {
	var fe api.FindingExplained
	if err := c.do(e, "GET", "/api/findings/"+escapePath(id), nil, &fe); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, fe)
	}
	_, err := fmt.Fprintln(e.Out, strings.TrimRight(fe.Explanation, "\n"))
	return err
}

// escapePath escapes each segment of a slash-separated id.
func escapePath(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
