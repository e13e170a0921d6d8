package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/node"
)

// findingsFlags are the filters and paging of kpnode findings.
type findingsFlags struct {
	rule, partner, period, since, severity, cursor *string
	open, acked, all, asJSON                       *bool
	limit                                          *int
}

// query returns the filters as API query parameters.
func (f findingsFlags) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"rule": *f.rule, "partner": *f.partner, "period": *f.period, "since": *f.since,
		"severity": *f.severity, "open": boolFlag(*f.open), "acknowledged": boolFlag(*f.acked)} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func boolFlag(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func runFindings(e *env, args []string) error {
	fs, homeFlag := e.newFlags("findings", "[--json] [--open] [--acknowledged] [--rule ID] [--partner CODE] [--period 2026-Q3] [--since DATE] [--severity LEVEL] [--limit N] [--cursor NEXT | --all] | summary | explain ID | ack ID [--note TEXT] | ask ID")
	f := findingsFlags{asJSON: fs.Bool("json", false, "print JSON (with --all: one finding per line)"),
		rule:     fs.String("rule", "", "only this rule: R1…R13 or its name"),
		partner:  fs.String("partner", "", "only findings concerning this partner (none: the node's own statistics)"),
		period:   fs.String("period", "", "only findings of this period: 2026-Q3, 2026-H1 or 2026"),
		since:    fs.String("since", "", "only findings since this date (YYYY-MM-DD)"),
		severity: fs.String("severity", "", "this severity or a more urgent one: info, warning, critical"),
		open:     fs.Bool("open", false, "only findings nobody acknowledged"),
		acked:    fs.Bool("acknowledged", false, "only acknowledged findings"),
		limit:    fs.Int("limit", 100, "at most this many findings (1…1000)"),
		cursor:   fs.String("cursor", "", "continue where a previous page ended (its \"next\")"),
		all:      fs.Bool("all", false, "every finding, fetched a page at a time")}
	note := fs.String("note", "", "a note kept with the acknowledgement (ack)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	return findingsCommand(e, c, pos, f, *note)
}

// findingsCommand runs the subcommand pos names, or lists findings.
func findingsCommand(e *env, c *client, pos []string, f findingsFlags, note string) error {
	sub := ""
	if len(pos) > 0 {
		sub = pos[0]
	}
	switch {
	case sub == "explain" && len(pos) == 2:
		return explainFinding(e, c, pos[1], *f.asJSON)
	case sub == "ack" && len(pos) == 2:
		return ackFinding(e, c, pos[1], note)
	case sub == "ask" && len(pos) == 2:
		return askAboutFinding(e, c, pos[1])
	case sub == "summary" && len(pos) == 1:
		return summarizeFindings(e, c, f)
	case sub == "explain" || sub == "ack" || sub == "ask":
		return usageErrorf("findings %s needs one finding ID", sub)
	case sub != "":
		return usageErrorf("findings: unexpected %q", strings.Join(pos, " "))
	case *f.all && *f.cursor != "":
		return usageErrorf("findings: --all and --cursor do not go together")
	case *f.all:
		return allFindings(e, c, f)
	}
	return findingsPage(e, c, f)
}

// findingsPage prints one page of findings and how to get the next.
func findingsPage(e *env, c *client, f findingsFlags) error {
	q := f.query()
	q.Set("limit", strconv.Itoa(*f.limit))
	if *f.cursor != "" {
		q.Set("cursor", *f.cursor)
	}
	var page node.FindingsPage
	if err := c.do(e, "GET", "/api/findings?"+q.Encode(), nil, &page); err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.Out, page)
	}
	if err := printFindings(e, page.Findings); err != nil {
		return err
	}
	if page.Next != "" {
		fmt.Fprintf(e.Out, "More: add --cursor %s (or --all for every one; kpnode findings summary counts them by group).\n", page.Next)
	}
	return nil
}

// allFindings prints every finding, a page of 1000 at a time, as it comes.
func allFindings(e *env, c *client, f findingsFlags) error {
	q, n := f.query(), 0
	q.Set("limit", "1000")
	for {
		var page node.FindingsPage
		if err := c.do(e, "GET", "/api/findings?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		if err := printFindingRows(e, page.Findings, *f.asJSON, n == 0); err != nil {
			return err
		}
		n += len(page.Findings)
		if page.Next == "" {
			break
		}
		q.Set("cursor", page.Next)
	}
	if !*f.asJSON {
		fmt.Fprintf(e.Out, "%d finding(s).\n", n)
	}
	return nil
}

// printFindingRows prints one page of --all: JSON lines, or table rows
// (the header before the first page).
func printFindingRows(e *env, list []node.FindingView, asJSON, first bool) error {
	if asJSON {
		enc := json.NewEncoder(e.Out)
		for _, f := range list {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	}
	header := []string{"ID", "SEVERITY", "PARTNER", "PERIOD", "ACKNOWLEDGED", "EXPLANATION"}
	if !first {
		header = nil
	}
	return table(e.Out, header, findingRows(list))
}

// summarizeFindings prints the counts of findings by severity, rule,
// partner and period.
func summarizeFindings(e *env, c *client, f findingsFlags) error {
	var s node.FindingsSummary
	if err := c.do(e, "GET", "/api/findings/summary?"+f.query().Encode(), nil, &s); err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.Out, s)
	}
	fmt.Fprintf(e.Out, "%d finding(s), %d open.\n", s.Total, s.Open)
	for _, g := range []struct {
		name   string
		groups []node.FindingGroup
	}{{"SEVERITY", s.BySeverity}, {"RULE", s.ByRule}, {"PARTNER", s.ByPartner}, {"PERIOD", s.ByPeriod}} {
		rows := make([][]string, 0, len(g.groups))
		for _, x := range g.groups {
			key := x.Key
			if key == "" {
				key = "-"
			}
			rows = append(rows, []string{key, strconv.Itoa(x.Count), strconv.Itoa(x.Open)})
		}
		fmt.Fprintln(e.Out)
		if err := table(e.Out, []string{g.name, "FINDINGS", "OPEN"}, rows); err != nil {
			return err
		}
	}
	return nil
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

// askAboutFinding sends the partner of a finding the anomaly query it
// calls for.
func askAboutFinding(e *env, c *client, id string) error {
	body, err := json.Marshal(api.AskFindingRequest{ID: id})
	if err != nil {
		return err
	}
	var p node.Published
	if err := c.do(e, "POST", "/api/findings/ask", body, &p); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Asked %s about %s: anomaly query entry %d. kpnode questionnaires shows the answer when it comes.\n", audienceText(p.Audience), id, p.Seq)
	return nil
}

func printFindings(e *env, list []node.FindingView) error {
	if len(list) == 0 {
		fmt.Fprintln(e.Out, "No findings.")
		return nil
	}
	if err := table(e.Out, []string{"ID", "SEVERITY", "PARTNER", "PERIOD", "ACKNOWLEDGED", "EXPLANATION"}, findingRows(list)); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "%d finding(s). kpnode findings explain ID shows the numbers behind one.\n", len(list))
	return nil
}

// findingRows are the table rows of findings.
func findingRows(list []node.FindingView) [][]string {
	rows := make([][]string, 0, len(list))
	for _, f := range list {
		ack := "-"
		if f.Ack != nil {
			ack = stamp(f.Ack.Time)
		}
		rows = append(rows, []string{f.ID, string(f.Severity), orDash(f.Partner), orDash(f.Period), ack, f.Explanation})
	}
	return rows
}

func explainFinding(e *env, c *client, id string, asJSON bool) error {
	var fe api.FindingExplained
	if err := c.do(e, "GET", "/api/findings/"+escapePath(id), nil, &fe); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, fe)
	}
	if _, err := fmt.Fprintln(e.Out, strings.TrimRight(fe.Explanation, "\n")); err != nil {
		return err
	}
	for _, r := range fe.AnsweredBy {
		fmt.Fprintf(e.Out, "Answered by %s (%s entry %d)\n", r.Key, r.Feed, r.Seq)
	}
	return nil
}

// escapePath escapes each segment of a slash-separated id.
func escapePath(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
