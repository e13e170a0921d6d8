package cli

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kpnode/kpnode/node"
)

func runStatus(e *env, args []string) error {
	fs, homeFlag := e.newFlags("status", "[--json] [--wait DURATION]")
	asJSON := fs.Bool("json", false, "print JSON")
	wait := fs.Duration("wait", 0, "wait up to this long for the node to answer (e.g. 30s)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := e.client(*homeFlag)
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
// until wait has passed. Until the daemon has recorded its address in the
// home, any answer is retried: whatever answers at the configured address
// then is not this home's daemon (another node on the default port
// answered "wrong bearer token" to a daemon starting on port 0).
func (c *client) waitFor(e *env, wait time.Duration, fn func() error) error {
	deadline := time.Now().Add(wait)
	for {
		recorded := c.addrRecorded() // before the request: the daemon may record it meanwhile
		err := fn()
		var ce *cliError
		unreachable := errors.As(err, &ce) && ce.code == ExitUnreachable || !recorded
		if err == nil || !unreachable || time.Now().After(deadline) {
			return err
		}
		select {
		case <-e.ctx.Done():
			return e.ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// addrRecorded reports whether a daemon of the home recorded where its API
// listens.
func (c *client) addrRecorded() bool {
	_, err := os.Stat(c.home.APIAddrPath())
	return err == nil
}

func printStatus(e *env, s node.Status) error {
	fmt.Fprintf(e.Out, "%s  %s\n  fingerprint  %s\n  peer id      %s\n  version      %s, up since %s\n",
		s.Participant, s.Name, s.Fingerprint, s.PeerID, s.Version, s.Started.Format(time.RFC3339))
	for _, a := range s.Listen {
		fmt.Fprintf(e.Out, "  listening    %s\n", a)
	}
	printRecovery(e.Out, s.Recovery)
	if a := s.Attachments; a.Pending > 0 || a.ChunksFetched+a.ChunksServed > 0 || a.BytesHeld > 0 {
		fmt.Fprintf(e.Out, "  attachments  %d file(s) still to fetch%s; %d chunks fetched, %d served since start; %.1f MiB held\n",
			a.Pending, fetchProgress(a), a.ChunksFetched, a.ChunksServed, float64(a.BytesHeld)/(1<<20))
	}
	now := time.Now()
	printPartnerStatus(e.Out, s.Partners, now)
	printCounters(e.Out, s.Counters)
	printEquivocations(e.Out, s.Equivocations)
	printRefused(e.Out, s.Refused)
	fmt.Fprint(e.Out, "\nFeeds\n")
	rows := make([][]string, 0, len(s.Feeds))
	for _, f := range s.Feeds {
		rows = append(rows, []string{f.Author, strconv.FormatUint(f.Seq, 10), f.Hash.Short(), stamp(f.Time)})
	}
	return table(e.Out, []string{"FEED", "HEAD", "HASH", "LATEST"}, rows)
}

// printRecovery says, while the node is recovering, why it refuses to
// append and what it still waits for.
func printRecovery(w io.Writer, r node.RecoveryStatus) {
	if !r.Recovering {
		return
	}
	fmt.Fprintf(w, "  RECOVERING   appends refused until the partners confirm this node's head (%s)\n", r.Reason)
	fmt.Fprintf(w, "               own head %d, highest reported %d, reported by %d partner(s)", r.OwnHead, r.Target, len(r.Reported))
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, ", waiting for %s until %s", strings.Join(r.Missing, ","), r.WaitUntil.Format(time.RFC3339))
	}
	fmt.Fprintln(w, "\n               (kpnode recover --force ends this on the operator's word)")
}

// printPartnerStatus writes one row per partner: the link, how much of
// its feed this node holds, and how much of this node's feed it receipted.
func printPartnerStatus(w io.Writer, ps []node.PartnerStatus, now time.Time) {
	fmt.Fprintf(w, "\nPartners (%d)\n", len(ps))
	if len(ps) == 0 {
		return
	}
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		link := connected(p.Connected)
		if p.Relayed {
			link = "relayed" // reach: through a relaying partner
		}
		rows = append(rows, []string{p.Code, link, ago(now, p.LastContact),
			fmt.Sprintf("%d/%d", p.OurCopy, p.TheirHead), fmt.Sprintf("%d/%d", p.Receipt, p.OurHead),
			undelivered(p, now), delivery(p)})
	}
	table(w, []string{"PARTNER", "LINK", "LAST CONTACT", "THEIR FEED", "OUR FEED", "UNDELIVERED", "DELIVERY"}, rows)
	fmt.Fprintln(w, "  THEIR FEED: entries held here / their head.  OUR FEED: their receipt / our head.")
	for _, p := range ps {
		if !p.Connected && !p.UnreachableSince.IsZero() { // reach: unreachable partners
			fmt.Fprintf(w, "  %s: unreachable for %s; the node log names the addresses tried (see \"Unreachable partners\" in docs/operations.md)\n",
				p.Code, age(now.Sub(p.UnreachableSince)))
		}
		if p.LastSyncError != "" {
			fmt.Fprintf(w, "  %s: last sync %s failed: %s\n", p.Code, ago(now, p.LastSync), p.LastSyncError)
		}
		if p.Stalled {
			fmt.Fprintf(w, "  %s: delivery stalled: see \"Delivery status\" in docs/operations.md\n", p.Code)
		}
		printScore(w, p, now)
	}
}

// printScore notes a partner that peer scoring holds something against:
// graylisted (cut off until its cool-off ends) or merely penalised.
func printScore(w io.Writer, p node.PartnerStatus, now time.Time) {
	s := p.PeerScore
	switch {
	case !p.CoolOffUntil.IsZero():
		fmt.Fprintf(w, "  %s: GRAYLISTED (score %.0f): disconnected and refused for %s more; see \"Graylisted partners\" in docs/operations.md\n",
			p.Code, s.Score, age(p.CoolOffUntil.Sub(now)))
	case s.Score < 0 || s.InvalidMessages >= 0.5 || s.SyncAbuse >= 1:
		fmt.Fprintf(w, "  %s: peer score %.0f (invalid pushes %.0f, sync abuse %.0f points)\n", p.Code, s.Score, s.InvalidMessages, s.SyncAbuse)
	}
}

func undelivered(p node.PartnerStatus, now time.Time) string {
	if p.Undelivered == 0 {
		return "0"
	}
	if p.OldestUndelivered.IsZero() {
		return strconv.FormatUint(p.Undelivered, 10)
	}
	return fmt.Sprintf("%d (oldest %s)", p.Undelivered, age(now.Sub(p.OldestUndelivered)))
}

func delivery(p node.PartnerStatus) string {
	switch {
	case p.Stalled:
		return "STALLED"
	case p.Undelivered > 0:
		return "behind"
	}
	return "up to date"
}

// printCounters writes the entry counters since the node started: published,
// received, rejected (in total and by reason), then any other counter.
func printCounters(w io.Writer, c map[string]uint64) {
	var reasons, others []string
	var rejected uint64
	for _, k := range slices.Sorted(maps.Keys(c)) {
		switch r, ok := strings.CutPrefix(k, "rejected_"); {
		case ok:
			rejected += c[k]
			reasons = append(reasons, fmt.Sprintf("%s %d", r, c[k]))
		case k != "entries_published" && k != "entries_received":
			others = append(others, fmt.Sprintf("%s %d", counterLabel(k), c[k]))
		}
	}
	fmt.Fprintf(w, "\nSince start: %d published, %d received, %d rejected", c["entries_published"], c["entries_received"], rejected)
	if len(reasons) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(reasons, ", "))
	}
	fmt.Fprintln(w)
	if len(others) > 0 {
		fmt.Fprintf(w, "  %s\n", strings.Join(others, ", "))
	}
}

// counterLabel names a counter for people.
func counterLabel(k string) string {
	switch k {
	case "sync_failed":
		return "failed sync sessions"
	case "unreadable":
		return "entries addressed here that would not open"
	case "push_ignored":
		return "pushes ignored (duplicate, early or relayed forks)"
	case "partners_graylisted":
		return "partners graylisted"
	case "inbound_handshake_timeouts":
		return "inbound connections closed unauthenticated after 5 s"
	case "inbound_refused":
		return "inbound connections refused (not an admitted partner)"
	}
	return strings.ReplaceAll(k, "_", " ")
}

func printEquivocations(w io.Writer, eqs []node.EquivocationReport) {
	if len(eqs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nEquivocations (%d): an author signed two different entries at one position; the first is kept, the other is evidence\n", len(eqs))
	rows := make([][]string, 0, len(eqs))
	for _, q := range eqs {
		rows = append(rows, []string{q.Feed, strconv.FormatUint(q.Seq, 10), q.Kept.Short(), q.Conflicting.Short(), stamp(q.Seen)})
	}
	table(w, []string{"FEED", "SEQ", "KEPT", "CONFLICTING", "SEEN"}, rows)
}

func printRefused(w io.Writer, rs []node.RefusedReport) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nRefused (%d): entries taken out of a partner's feed and kept as evidence (signed by a retired key after its last valid seq, or failing their own signature: see REASON)\n", len(rs))
	rows := make([][]string, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, []string{r.Feed, r.Fingerprint, strconv.FormatUint(r.Seq, 10), r.Hash.Short(), r.Reason, stamp(r.Seen)})
	}
	table(w, []string{"FEED", "KEY", "SEQ", "HASH", "REASON", "SEEN"}, rows)
}

// ago is how long before now t was, coarsely: "12s ago", "5m ago", "never".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return age(now.Sub(t)) + " ago"
}

// age is a duration to the coarsest useful unit: 12s, 5m, 3h, 2d.
func age(d time.Duration) string {
	switch d = max(d, 0); {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
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

// fetchProgress says how much of the files still to fetch is held: " (1.0
// of 48.0 MiB held)", nothing when none is pending.
func fetchProgress(a node.AttachmentsStatus) string {
	if a.Pending == 0 {
		return ""
	}
	return fmt.Sprintf(" (%.1f of %.1f MiB held)", float64(a.PendingHeldBytes)/(1<<20), float64(a.PendingBytes)/(1<<20))
}
