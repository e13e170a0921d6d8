package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/store"
)

func runVerify(e *env, args []string) error {
	fs, homeFlag := e.newFlags("verify", "[--home DIR] [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	rep, err := e.verifyHome(*homeFlag)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := printJSON(e.Out, rep); err != nil {
			return err
		}
	} else {
		printVerify(e, rep)
	}
	if len(rep.Problems) > 0 {
		return &cliError{code: ExitProblems, err: fmt.Errorf("verify found %d problem(s)", len(rep.Problems)),
			hint: "keep a copy of the store as evidence; docs/operations.md says how to recover"}
	}
	return nil
}

// verifyHome checks the store directly when no daemon runs, else asks the
// daemon, which owns the store.
func (e *env) verifyHome(homeFlag string) (store.VerifyReport, error) {
	dir, err := e.homeDir(homeFlag)
	if err != nil {
		return store.VerifyReport{}, err
	}
	h, _, err := home.OpenHome(dir)
	if err != nil {
		return store.VerifyReport{}, homeError(err, dir)
	}
	unlock, err := h.Lock()
	if errors.Is(err, home.ErrHomeLocked) {
		return e.verifyViaAPI(homeFlag)
	}
	if err != nil {
		return store.VerifyReport{}, err
	}
	defer unlock()
	if h, err = e.unlockHome(h, ""); err != nil {
		return store.VerifyReport{}, err
	}
	return verifyStore(e.ctx, h)
}

func verifyStore(ctx context.Context, h home.Home) (store.VerifyReport, error) {
	st, err := h.OpenStore(nil)
	if err != nil {
		return store.VerifyReport{}, err
	}
	defer st.Close()
	return st.Verify(ctx)
}

func (e *env) verifyViaAPI(homeFlag string) (store.VerifyReport, error) {
	var rep store.VerifyReport
	c, err := e.client(homeFlag)
	if err != nil {
		return rep, err
	}
	return rep, c.do(e, "POST", "/api/verify", nil, &rep)
}

func printVerify(e *env, rep store.VerifyReport) {
	for _, p := range rep.Problems {
		if p.Kind == store.ProblemAudit {
			fmt.Fprintf(e.Out, "PROBLEM  audit log  record %d: %s\n", p.Seq, p.Detail)
			continue
		}
		if p.Kind == store.ProblemBlob { // attachments
			fmt.Fprintf(e.Out, "PROBLEM  attachments  %s\n", p.Detail)
			continue
		}
		fmt.Fprintf(e.Out, "PROBLEM  feed %s  seq %d  %s: %s\n", p.Author.Fingerprint(), p.Seq, p.Kind, p.Detail)
	}
	fmt.Fprintf(e.Out, "Checked the audit log's chain: %d records\n", rep.AuditRecords)
	if rep.Blobs > 0 {
		fmt.Fprintf(e.Out, "Checked %d attachment blob(s) and their chunks\n", rep.Blobs)
	}
	printDamaged(e, rep.Damaged)
	fmt.Fprintf(e.Out, "Checked %d feeds, %d entries: %d problem(s)\n", rep.Feeds, rep.Entries, len(rep.Problems))
}

// printDamaged sums up the attachment chunks verify found damaged and
// recorded missing: how many the node fetches again by itself.
func printDamaged(e *env, damaged []store.DamagedChunk) {
	if len(damaged) == 0 {
		return
	}
	marked, repairable := 0, 0
	for _, d := range damaged {
		if d.Marked {
			marked++
		}
		if d.Marked && d.Repairable {
			repairable++
		}
	}
	fmt.Fprintf(e.Out, "Damaged attachment chunks: %d, %d recorded missing, %d of them fetched again from partners once the daemon runs\n",
		len(damaged), marked, repairable)
}
