package cli

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kpnode/kpnode/node"
)

func runStatus(e *env, args []string) error {
	fs, home := e.newFlags("status", "[--json] [--wait DURATION]")
	asJSON := fs.Bool("json", false, "print JSON")
	wait := fs.Duration("wait", 0, "wait up to this long for the node to answer (e.g. 30s)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := e.client(*home)
	if err != nil {
		return err
	}
	var s node.Status
	if err := c.waitFor(e, *wait, func() error { return c.do(e, "GET", "/api/status", nil, &s) }); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Out, s)
	}
	return printStatus(e, s)
}

// waitFor retries fn while the node is unreachable, polling every 100 ms,
// until wait has passed.
func (c *client) waitFor(e *env, wait time.Duration, fn func() error) error {
	deadline := time.Now().Add(wait)
	for {
		err := fn()
		var ce *cliError
		if err == nil || !errors.As(err, &ce) || ce.code != ExitUnreachable || time.Now().After(deadline) {
			return err
		}
		select {
		case <-e.ctx.Done():
			return e.ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func printStatus(e *env, s node.Status) error {
	fmt.Fprintf(e.Out, "%s  %s\n  fingerprint  %s\n  peer id      %s\n  version      %s, up since %s\n",
		s.Participant, s.Name, s.Fingerprint, s.PeerID, s.Version, s.Started.Format(time.RFC3339))
	for _, a := range s.Listen {
		fmt.Fprintf(e.Out, "  listening    %s\n", a)
	}
	fmt.Fprintf(e.Out, "\nPartners (%d)\n", len(s.Partners))
	rows := make([][]string, 0, len(s.Partners))
	for _, p := range s.Partners {
		rows = append(rows, []string{p.Code, p.Name, p.Fingerprint, connected(p.Connected)})
	}
	if len(rows) > 0 {
		table(e.Out, []string{"CODE", "NAME", "FINGERPRINT", "LINK"}, rows)
	}
	fmt.Fprint(e.Out, "\nFeeds\n")
	rows = rows[:0]
	for _, f := range s.Feeds {
		rows = append(rows, []string{f.Author, strconv.FormatUint(f.Seq, 10), f.Hash.Short(), stamp(f.Time)})
	}
	return table(e.Out, []string{"FEED", "HEAD", "HASH", "LATEST"}, rows)
}

func connected(b bool) string {
	if b {
		return "connected"
	}
	return "not connected"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
