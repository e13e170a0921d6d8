package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
)

const restoreSynopsis = "FILE [--home DIR] [--passphrase-file FILE] [--json]"

func runRestore(e *env, args []string) error {
	fs, homeFlag := e.newFlags("restore", restoreSynopsis)
	passFile := fs.String("passphrase-file", "", "file holding the node passphrase (or $KPNODE_PASSPHRASE_FILE); needed for an encrypted backup or protected keys")
	asJSON := fs.Bool("json", false, "print the restore report as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("restore needs one backup FILE (see kpnode restore --help)")
	}
	dir, err := e.homeDir(*homeFlag)
	if err != nil {
		return err
	}
	pass, err := e.passphrase(*passFile)
	if err != nil {
		return err
	}
	wf, err := e.workFactor()
	if err != nil {
		return err
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	rep, err := home.Restore(e.ctx, path, dir, home.RestoreOptions{Passphrase: pass, WorkFactor: wf})
	if err != nil {
		return restoreError(err)
	}
	if *asJSON {
		return printJSON(e.Out, rep)
	}
	hdr := rep.Header
	fmt.Fprintf(e.Out, "Restored %s (%s) into %s from the backup taken at %s\n  store     %s: %d feeds, %d entries, %d records, %d audit records\n  verified  %d feeds, %d entries, audit log %d records: no problems\n",
		hdr.Participant, hdr.Fingerprint, dir, stamp(hdr.Created), rep.Loaded.StoreID, rep.Loaded.Feeds, rep.Loaded.Entries,
		rep.Loaded.Records, rep.Loaded.Audit, rep.Verify.Feeds, rep.Verify.Entries, rep.Verify.AuditRecords)
	fmt.Fprintf(e.Out, "The store is marked recovering (%s): partners may hold newer entries of this node's own feed.\n", rep.Recovery)
	fmt.Fprintf(e.Out, "Start the node with: kpnode run --home %s\n", dir)
	return nil
}

func restoreError(err error) error {
	switch {
	case errors.Is(err, crypto.ErrPassphraseRequired), errors.Is(err, crypto.ErrWrongPassphrase):
		return withHint(err, "pass --passphrase-file FILE (or set KPNODE_PASSPHRASE_FILE) with the node passphrase of the backed-up node")
	case errors.Is(err, home.ErrBadBackup):
		return withHint(err, "the file is damaged or not a kpnode backup: nothing was written; use another backup")
	case errors.Is(err, home.ErrRestoreVerify):
		return withHint(err, "nothing was kept; use another backup and keep this one as evidence")
	}
	return err
}
