package home

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// AuditRestore is the audit action of a store restored from a backup.
const AuditRestore = "store.restore"

// RestoreReport says what [Restore] did.
type RestoreReport struct {
	Header   BackupHeader       `json:"header"`
	Loaded   store.BackupInfo   `json:"loaded"`
	Verify   store.VerifyReport `json:"verify"`
	NewHome  bool               `json:"new_home"` // the home's files came from the backup
	Took     time.Duration      `json:"took_ns"`
	Recovery string             `json:"recovery"` // the reason the store is marked recovering
}

// Restore restores the backup at path into the home at dir, which must
// have no store: either a new or empty directory (the backup must then
// carry the home's key files) or a home whose key files and config.json
// were put back by hand. It checks the whole file (header, body hash,
// passphrase, identity) before writing anything, then loads the store,
// verifies it as kpnode verify does, marks it recovering and appends a
// restore record to its audit log. On any failure it removes what it
// wrote.
func Restore(ctx context.Context, path, dir string, opts RestoreOptions) (RestoreReport, error) {
	start, passphrase := time.Now(), opts.Passphrase
	b, err := OpenBackup(path)
	if err != nil {
		return RestoreReport{}, err
	}
	defer b.Close()
	if err := b.VerifyBody(); err != nil {
		return RestoreReport{}, err
	}
	if _, err := b.Body(passphrase); err != nil {
		return RestoreReport{}, err
	}
	p, err := planRestore(Home{Dir: dir}, b.Header, passphrase)
	if err != nil {
		return RestoreReport{}, err
	}
	p.workFactor = opts.WorkFactor
	rep, err := p.run(ctx, b, passphrase)
	if err != nil {
		p.undo()
		return RestoreReport{}, err
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// RestoreOptions tunes [Restore].
type RestoreOptions struct {
	// Passphrase decrypts an encrypted backup and passphrase-protected
	// keys, and wraps the restored store's new key.
	Passphrase crypto.Secret
	WorkFactor int // scrypt work factor of a new store.key; 0 for age's default
}

// restorePlan is what a restore will write.
type restorePlan struct {
	workFactor int
	h          Home
	hdr        BackupHeader
	newDir     bool     // dir did not exist: undo removes it
	newHome    bool     // the home's files come from the backup
	written    []string // files and directories to remove on undo
}

func planRestore(h Home, hdr BackupHeader, pass crypto.Secret) (*restorePlan, error) {
	p := &restorePlan{h: h, hdr: hdr}
	names, err := os.ReadDir(h.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.newDir, p.newHome = true, true
	case err != nil:
		return nil, fmt.Errorf("restore into %s: %w", h.Dir, err)
	case len(names) == 0:
		p.newHome = true
	}
	if p.newHome {
		return p, p.checkCarriedFiles(pass)
	}
	return p, p.checkExistingHome(pass)
}

// checkCarriedFiles checks that the backup carries a home whose identity
// is the backup's node.
func (p *restorePlan) checkCarriedFiles(pass crypto.Secret) error {
	for _, name := range backupFiles {
		if _, ok := p.hdr.Files[name]; !ok {
			return fmt.Errorf("%w: %s is empty and the backup carries no %s (it was taken without --with-keys): copy the node's config.json and identity.key into %s first", ErrRestoreTarget, p.h.Dir, name, p.h.Dir)
		}
	}
	id, err := crypto.ParseKeyFile(p.hdr.Files["identity.key"], pass)
	if err != nil {
		return fmt.Errorf("restore: the backup's identity.key: %w", err)
	}
	if err := p.checkRetiredKeys(pass); err != nil {
		return err
	}
	return p.checkIdentity(id.Fingerprint(), "the backup's identity.key")
}

// checkRetiredKeys checks that each retired key the backup carries is a
// key file, named after its own fingerprint.
func (p *restorePlan) checkRetiredKeys(pass crypto.Secret) error {
	for _, name := range p.retiredKeys() {
		id, err := crypto.ParseKeyFile(p.hdr.Files[name], pass)
		if err != nil {
			return fmt.Errorf("restore: the backup's %s: %w", name, err)
		}
		if want := retiredKeyPrefix + id.Fingerprint() + ".key"; name != want {
			return fmt.Errorf("restore: the backup's %s holds the key %s", name, id.Fingerprint())
		}
	}
	return nil
}

// retiredKeys lists the retired key files the backup carries, sorted.
func (p *restorePlan) retiredKeys() []string {
	var out []string
	for name := range p.hdr.Files {
		if isRetiredKeyFile(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// checkExistingHome checks a home put back by hand: the backup's node,
// no store yet.
func (p *restorePlan) checkExistingHome(pass crypto.Secret) error {
	h := p.h
	for _, f := range []string{h.StoreDir(), h.StoreIDPath()} {
		if _, err := os.Lstat(f); err == nil {
			return fmt.Errorf("%w: %s already has %s; restore never overwrites a store: restore into a new --home DIR, or move %s and %s away first", ErrRestoreTarget, h.Dir, filepath.Base(f), h.StoreDir(), h.StoreIDPath())
		}
	}
	_, cfg, err := OpenHome(h.Dir)
	if err != nil {
		return fmt.Errorf("%w: %s is neither empty nor a node home: %w", ErrRestoreTarget, h.Dir, err)
	}
	if cfg.Participant != p.hdr.Participant {
		return fmt.Errorf("%w: %s is a home of %s, the backup is of %s", ErrRestoreTarget, h.Dir, cfg.Participant, p.hdr.Participant)
	}
	id, err := h.ReadIdentity(pass)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if h.Encrypted() {
		if _, err := h.Unlock(pass); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return p.checkIdentity(id.Fingerprint(), h.KeyPath())
}

func (p *restorePlan) checkIdentity(fp, what string) error {
	if fp != p.hdr.Fingerprint {
		return fmt.Errorf("%w: %s is node %s, the backup is of node %s", ErrRestoreTarget, what, fp, p.hdr.Fingerprint)
	}
	return nil
}

// run writes the home: files, store key, store; then verifies it.
func (p *restorePlan) run(ctx context.Context, b *BackupFile, pass crypto.Secret) (RestoreReport, error) {
	h, err := p.writeHome(pass)
	if err != nil {
		return RestoreReport{}, err
	}
	body, err := b.Body(pass)
	if err != nil {
		return RestoreReport{}, err
	}
	p.written = append(p.written, h.StoreDir(), h.StoreIDPath())
	opts, err := h.storeOptions()
	if err != nil {
		return RestoreReport{}, err
	}
	loaded, err := store.Restore(opts, body)
	if err != nil {
		return RestoreReport{}, fmt.Errorf("restore %s: %w", b.Path, err)
	}
	if err := sameSnapshot(p.hdr.Store, loaded); err != nil {
		return RestoreReport{}, fmt.Errorf("%w: %w", ErrRestoreVerify, err)
	}
	rep := RestoreReport{Header: p.hdr, Loaded: loaded, NewHome: p.newHome}
	return rep, p.finish(ctx, h, b.Path, &rep)
}

// writeHome creates the directory, the carried files, an API token and
// the store key, as needed, and returns the home unlocked.
func (p *restorePlan) writeHome(pass crypto.Secret) (Home, error) {
	h := p.h
	if p.newDir {
		if err := os.MkdirAll(h.Dir, 0o700); err != nil {
			return h, fmt.Errorf("restore: %w", err)
		}
	}
	if p.newHome {
		if err := p.writeCarriedFiles(); err != nil {
			return h, err
		}
	}
	if err := p.writeToken(); err != nil {
		return h, err
	}
	return p.storeKey(pass)
}

// writeCarriedFiles writes the home files the backup carries: config.json,
// identity.key and the retired keys (checked by checkCarriedFiles).
func (p *restorePlan) writeCarriedFiles() error {
	if retired := p.retiredKeys(); len(retired) > 0 {
		if err := os.MkdirAll(p.h.RetiredKeyDir(), 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	for _, name := range append(slices.Clone(backupFiles), p.retiredKeys()...) {
		path := filepath.Join(p.h.Dir, filepath.FromSlash(name))
		p.written = append(p.written, path)
		if err := writeNewFile(path, p.hdr.Files[name]); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return nil
}

func (p *restorePlan) writeToken() error {
	if _, err := os.Lstat(p.h.TokenPath()); err == nil {
		return nil
	}
	tok, err := crypto.NewToken()
	if err != nil {
		return err
	}
	p.written = append(p.written, p.h.TokenPath())
	return crypto.WriteSecretFile(p.h.TokenPath(), tok)
}

// storeKey unlocks the home's store key, or makes one when the backup is
// of an encrypted store and the home has none: the restored store is
// encrypted again, under a new key.
func (p *restorePlan) storeKey(pass crypto.Secret) (Home, error) {
	if p.h.Encrypted() {
		return p.h.Unlock(pass)
	}
	if !p.hdr.Encrypted {
		return p.h, nil
	}
	p.written = append(p.written, p.h.StoreKeyPath())
	return p.h.NewStoreKey(crypto.KeyFileOptions{Passphrase: pass, WorkFactor: p.workFactor})
}

func writeNewFile(path string, body []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// sameSnapshot compares what was loaded with what the header says was
// backed up.
func sameSnapshot(want, got store.BackupInfo) error {
	if want.StoreID != got.StoreID || want.Keys != got.Keys || want.Entries != got.Entries ||
		want.Records != got.Records || want.Feeds != got.Feeds || want.Audit != got.Audit ||
		want.Partners != got.Partners || !maps.Equal(want.Heads, got.Heads) {
		return fmt.Errorf("loaded store %s with %d keys, %d entries, %d records, %d feeds; the header says store %s with %d keys, %d entries, %d records, %d feeds",
			got.StoreID, got.Keys, got.Entries, got.Records, got.Feeds, want.StoreID, want.Keys, want.Entries, want.Records, want.Feeds)
	}
	return nil
}

// finish opens the restored store through the home (which records
// store.id), verifies it, marks it recovering and audits the restore.
func (p *restorePlan) finish(ctx context.Context, h Home, path string, rep *RestoreReport) error {
	st, err := h.OpenStore(nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if rep.Verify, err = st.Verify(ctx); err != nil {
		return err
	}
	if len(rep.Verify.Problems) > 0 {
		pr := rep.Verify.Problems[0]
		return fmt.Errorf("%w: %d problem(s), the first: %s at seq %d: %s", ErrRestoreVerify, len(rep.Verify.Problems), pr.Kind, pr.Seq, pr.Detail)
	}
	rep.Recovery = fmt.Sprintf("restored from backup %s taken at %s", path, p.hdr.Created.Format(time.RFC3339))
	if err := st.MarkRecovering(rep.Recovery); err != nil {
		return err
	}
	_, err = st.AppendAudit(store.AuditEvent{Action: AuditRestore, Details: map[string]any{
		"file": path, "taken": p.hdr.Created, "store_id": rep.Loaded.StoreID,
		"entries": rep.Loaded.Entries, "records": rep.Loaded.Records, "keys": rep.Loaded.Keys}})
	if err != nil {
		return err
	}
	return st.Sync()
}

// undo removes what the restore wrote.
func (p *restorePlan) undo() {
	if p.newDir {
		os.RemoveAll(p.h.Dir)
		return
	}
	for _, f := range p.written {
		os.RemoveAll(f)
	}
}
