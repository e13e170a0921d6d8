package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/store"
)

const backupSynopsis = "FILE [--home DIR] [--with-keys] [--passphrase-file FILE] [--json]"

type backupFlags struct {
	home, passFile string
	withKeys, json bool
}

func runBackup(e *env, args []string) error {
	fs, homeFlag := e.newFlags("backup", backupSynopsis)
	var f backupFlags
	fs.BoolVar(&f.withKeys, "with-keys", false, "also keep config.json and identity.key (as they are in the home, passphrase-protected or not)")
	fs.StringVar(&f.passFile, "passphrase-file", "", "file holding the node passphrase (or $KPNODE_PASSPHRASE_FILE); needed for an encrypted store")
	fs.BoolVar(&f.json, "json", false, "print the backup's header as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("backup needs one FILE to write (see kpnode backup --help)")
	}
	f.home = *homeFlag
	path, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	hdr, err := e.backup(f, path)
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(e.Out, hdr)
	}
	fmt.Fprintf(e.Out, "Backed up %s (%s) to %s\n  store     %s, layout %d, %d feeds, %d entries, %d records, %d audit records\n  body      %d bytes, sha256 %s, %s\n  keys      %s\n",
		hdr.Participant, hdr.Fingerprint, path, hdr.Store.StoreID, hdr.Store.Layout, hdr.Store.Feeds, hdr.Store.Entries,
		hdr.Store.Records, hdr.Store.Audit, hdr.BodySize, hdr.BodySHA256, encryptedText(hdr.Encrypted), keysText(hdr.Files))
	return nil
}

func encryptedText(enc bool) string {
	if enc {
		return "encrypted with the node passphrase"
	}
	return "not encrypted (the store is not encrypted at rest)"
}

func keysText(files map[string][]byte) string {
	if len(files) > 0 {
		return "config.json and identity.key included"
	}
	return "not included (keep the home's config.json and identity.key safe: restore needs them)"
}

// backup takes the backup directly from the store when no daemon runs,
// else streams it from the daemon's API.
func (e *env) backup(f backupFlags, path string) (home.BackupHeader, error) {
	dir, err := e.homeDir(f.home)
	if err != nil {
		return home.BackupHeader{}, err
	}
	h, cfg, err := home.OpenHome(dir)
	if err != nil {
		return home.BackupHeader{}, homeError(err, dir)
	}
	opts, err := e.backupOptions(h, cfg, f)
	if err != nil {
		return home.BackupHeader{}, err
	}
	unlock, err := h.Lock()
	if errors.Is(err, home.ErrHomeLocked) {
		return e.backupViaAPI(f.home, path, opts)
	}
	if err != nil {
		return home.BackupHeader{}, err
	}
	defer unlock()
	return e.backupDirect(h, f.passFile, path, opts)
}

// backupOptions gathers the header's identity, the passphrase of an
// encrypted store and the key files.
func (e *env) backupOptions(h home.Home, cfg node.Config, f backupFlags) (home.BackupOptions, error) {
	pass, err := e.passphrase(f.passFile)
	if err != nil {
		return home.BackupOptions{}, err
	}
	id, err := h.ReadIdentity(pass)
	if errors.Is(err, crypto.ErrPassphraseRequired) {
		return home.BackupOptions{}, withHint(err, "pass --passphrase-file FILE or set KPNODE_PASSPHRASE_FILE")
	}
	if err != nil {
		return home.BackupOptions{}, err
	}
	wf, err := e.workFactor()
	if err != nil {
		return home.BackupOptions{}, err
	}
	opts := home.BackupOptions{Participant: cfg.Participant, Name: cfg.Name, Fingerprint: id.Fingerprint(),
		Passphrase: pass, Encrypt: h.Encrypted(), WorkFactor: wf}
	if opts.Encrypt && len(pass) == 0 {
		return opts, withHint(errors.New("the store is encrypted: its backup is encrypted with the node passphrase, which is needed"),
			"pass --passphrase-file FILE or set KPNODE_PASSPHRASE_FILE")
	}
	if f.withKeys {
		opts.Files, err = h.HomeFiles()
	}
	return opts, err
}

func (e *env) backupDirect(h home.Home, passFile, path string, opts home.BackupOptions) (home.BackupHeader, error) {
	h, err := e.unlockHome(h, passFile)
	if err != nil {
		return home.BackupHeader{}, err
	}
	st, err := h.OpenStore(nil)
	if err != nil {
		return home.BackupHeader{}, err
	}
	defer st.Close()
	hdr, err := home.CreateBackup(path, opts, func(w io.Writer) (store.BackupInfo, error) { return st.Backup(e.ctx, w) })
	if err != nil {
		return hdr, err
	}
	_, err = st.AppendAudit(store.AuditEvent{Action: node.AuditBackup, Details: node.BackupAudit{
		File: path, Keys: hdr.Store.Keys, Entries: hdr.Store.Entries, Records: hdr.Store.Records}})
	return hdr, err
}

func (e *env) backupViaAPI(homeFlag, path string, opts home.BackupOptions) (home.BackupHeader, error) {
	c, err := e.client(homeFlag)
	if err != nil {
		return home.BackupHeader{}, err
	}
	return home.CreateBackup(path, opts, func(w io.Writer) (store.BackupInfo, error) {
		return c.streamBackup(e, path, w)
	})
}

// streamBackup copies the daemon's backup stream to w and returns the
// description sent in the trailer; without it the backup is incomplete.
func (c *client) streamBackup(e *env, path string, w io.Writer) (store.BackupInfo, error) {
	var info store.BackupInfo
	req, err := http.NewRequestWithContext(e.ctx, "POST", c.base()+"/api/backup?file="+url.QueryEscape(path), nil)
	if err != nil {
		return info, err
	}
	req.Header.Set("Authorization", "Bearer "+string(c.token.Reveal()))
	hc := *c.http
	hc.Timeout = 0 // a large store takes long; the daemon bounds each write
	resp, err := hc.Do(req)
	if err != nil {
		return info, c.unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return info, apiFailure(resp)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return info, fmt.Errorf("read the backup stream: %w", err)
	}
	raw := resp.Trailer.Get(api.BackupInfoTrailer)
	if raw == "" {
		return info, errors.New("the node ended the backup stream without its summary: the backup failed on the node (see its log)")
	}
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		return info, fmt.Errorf("decode the backup summary: %w", err)
	}
	return info, nil
}
