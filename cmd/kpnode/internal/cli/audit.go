package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/store"
)

const auditSynopsis = "[--json] [--limit N] | verify [--json]"

func runAudit(e *env, args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		return runAuditVerify(e, args[1:])
	}
	fs, homeFlag := e.newFlags("audit", auditSynopsis)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 100, "at most this many records, newest first (at most 10000)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("audit: unexpected %q (want: kpnode audit, or kpnode audit verify)", pos[0])
	}
	if *limit < 1 {
		return usageErrorf("audit: --limit must be at least 1")
	}
	var recs []store.AuditRecord
	direct := func(_ home.Home, _ node.Config, st *store.Store) error {
		var err error
		recs, err = st.AuditLog(min(*limit, 10000))
		return err
	}
	viaAPI := func(c *client) error {
		return c.do(e, "GET", "/api/audit?limit="+strconv.Itoa(*limit), nil, &recs)
	}
	if err := e.localStore(*homeFlag, "", direct, viaAPI); err != nil {
		return err
	}
	if *asJSON {
		if recs == nil {
			recs = []store.AuditRecord{}
		}
		return printJSON(e.Out, recs)
	}
	return printAudit(e, recs)
}

func printAudit(e *env, recs []store.AuditRecord) error {
	if len(recs) == 0 {
		fmt.Fprintln(e.Out, "The audit log is empty.")
		return nil
	}
	rows := make([][]string, 0, len(recs))
	for _, r := range recs {
		rows = append(rows, []string{strconv.FormatUint(r.Seq, 10), stamp(r.Time), r.Actor, r.Action, compactJSON(r.Details)})
	}
	return table(e.Out, []string{"SEQ", "TIME", "ACTOR", "ACTION", "DETAILS"}, rows)
}

func compactJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}

func runAuditVerify(e *env, args []string) error {
	fs, homeFlag := e.newFlags("audit verify", "[--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	var rep store.AuditReport
	direct := func(_ home.Home, _ node.Config, st *store.Store) error {
		var err error
		rep, err = st.VerifyAudit(e.ctx)
		return err
	}
	viaAPI := func(c *client) error { return c.do(e, "POST", "/api/audit/verify", nil, &rep) }
	if err := e.localStore(*homeFlag, "", direct, viaAPI); err != nil {
		return err
	}
	if *asJSON {
		if err := printJSON(e.Out, rep); err != nil {
			return err
		}
	} else {
		printAuditReport(e, rep)
	}
	if !rep.OK() {
		return &cliError{code: ExitProblems, err: fmt.Errorf("the audit log's chain breaks at record %d", rep.BrokenAt),
			hint: "keep a copy of the store as evidence; docs/operations.md (Audit log) says what to do"}
	}
	return nil
}

func printAuditReport(e *env, rep store.AuditReport) {
	for _, p := range rep.Problems {
		fmt.Fprintf(e.Out, "PROBLEM  audit record %d: %s\n", p.Seq, p.Detail)
	}
	fmt.Fprintf(e.Out, "Checked %d audit records: %d problem(s)\n", rep.Records, len(rep.Problems))
	if rep.Head > 0 {
		fmt.Fprintf(e.Out, "Head: record %d, hash %s (note it: a later check against it shows records removed from the end)\n",
			rep.Head, rep.HeadHash)
	}
}
