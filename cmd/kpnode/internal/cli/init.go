package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
)

func runInit(e *env, args []string) error {
	fs, homeFlag := e.newFlags("init", "--participant CODE --name NAME [--home DIR] [--passphrase-file FILE] [--encrypt-store] [--from-key KEYFILE]")
	code := fs.String("participant", "", "this authority's participant code, e.g. IN (see kpnode participants)")
	name := fs.String("name", "", `the authority's name, e.g. "India KP Authority"`)
	passFile := fs.String("passphrase-file", "", "protect the keys with the passphrase in this file (or $KPNODE_PASSPHRASE_FILE)")
	encrypt := fs.Bool("encrypt-store", false, "encrypt the store at rest with a key wrapped by the passphrase (needs --passphrase-file)")
	var listen multiFlag
	fs.Var(&listen, "listen", "libp2p listen multiaddr to configure (repeatable; default TCP and QUIC on port 4101)")
	apiAddr := fs.String("api", "", "API address HOST:PORT to configure (default 127.0.0.1:7441)")
	fromKey := fs.String("from-key", "", "use this backed-up identity.key (same passphrase) instead of new keys; the node appends nothing until its partners confirm its head")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *code == "" || strings.TrimSpace(*name) == "" {
		return usageErrorf("init needs --participant CODE and --name NAME")
	}
	dir, err := e.homeDir(*homeFlag)
	if err != nil {
		return err
	}
	cfg := node.DefaultConfig(strings.ToUpper(*code), strings.TrimSpace(*name))
	if len(listen) > 0 {
		cfg.Listen = listen
	}
	if *apiAddr != "" {
		cfg.API = *apiAddr
	}
	pass, err := e.passphrase(*passFile)
	if err != nil {
		return err
	}
	if *encrypt && len(pass) == 0 {
		return usageErrorf("--encrypt-store needs a passphrase: pass --passphrase-file FILE or set KPNODE_PASSPHRASE_FILE")
	}
	wf, err := e.workFactor()
	if err != nil {
		return err
	}
	opts := home.InitOptions{Passphrase: pass, EncryptStore: *encrypt, WorkFactor: wf}
	if *fromKey != "" {
		if opts.Identity, err = crypto.ReadKeyFile(*fromKey, pass); err != nil {
			return withHint(err, "--from-key takes a kpnode identity.key; a protected one needs its --passphrase-file")
		}
	}
	id, err := home.InitHome(dir, cfg, opts)
	if err != nil {
		return initError(err)
	}
	fmt.Fprintf(e.Out, "Initialised %s (%s) in %s\n  fingerprint  %s\n  peer id      %s\n  keys         %s\n  store        %s\n",
		cfg.Participant, cfg.Name, dir, id.Fingerprint(), id.PeerID(), protection(pass), storeProtection(*encrypt))
	if *fromKey != "" {
		fmt.Fprintln(e.Out, "Restored keys: the node appends nothing until its partners have told it its own latest head (kpnode recover).")
		fmt.Fprintln(e.Out, "Pin your partners again (kpnode partners add), as they are pinned on your old node.")
	}
	fmt.Fprintf(e.Out, "Start the node with: kpnode run --home %s\n", dir)
	return nil
}

func initError(err error) error {
	switch {
	case errors.Is(err, node.ErrUnknownParticipant):
		return withHint(err, "kpnode participants lists the valid codes")
	case errors.Is(err, home.ErrHomeExists):
		return withHint(err, "choose another --home; init never overwrites a node")
	}
	return err
}

func protection(pass crypto.Secret) string {
	if len(pass) > 0 {
		return "passphrase-protected"
	}
	return "not passphrase-protected (use --passphrase-file to protect them)"
}

func storeProtection(encrypted bool) string {
	if encrypted {
		return "encrypted at rest (key in store.key, wrapped by the passphrase)"
	}
	return "not encrypted at rest (use --encrypt-store with a passphrase to encrypt it)"
}

// unlockHome returns h able to open its store: an encrypted store needs
// the passphrase (from the flag, else $KPNODE_PASSPHRASE_FILE).
func (e *env) unlockHome(h home.Home, passFile string) (home.Home, error) {
	if !h.Encrypted() {
		return h, nil
	}
	pass, err := e.passphrase(passFile)
	if err != nil {
		return h, err
	}
	if len(pass) == 0 {
		return h, withHint(fmt.Errorf("%w (%s)", home.ErrStoreKeyNeeded, h.StoreKeyPath()),
			"pass --passphrase-file FILE or set KPNODE_PASSPHRASE_FILE to the file holding the node passphrase")
	}
	u, err := h.Unlock(pass)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return h, withHint(err, "the passphrase file does not hold the passphrase given at kpnode init")
	}
	return u, err
}

// passphrase reads the passphrase file named by the flag, else by
// $KPNODE_PASSPHRASE_FILE; none means no passphrase.
func (e *env) passphrase(flagValue string) (crypto.Secret, error) {
	path := flagValue
	if path == "" {
		path = e.getenv("KPNODE_PASSPHRASE_FILE")
	}
	if path == "" {
		return nil, nil
	}
	return crypto.ReadSecretFile(path)
}

// workFactor is the scrypt work factor for what this command protects
// with the passphrase: $KPNODE_SCRYPT_WORK_FACTOR, else age's default
// (18, about a second per use). Lowering it weakens the protection: it is
// for tests.
func (e *env) workFactor() (int, error) {
	v := e.getenv("KPNODE_SCRYPT_WORK_FACTOR")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 30 {
		return 0, usageErrorf("KPNODE_SCRYPT_WORK_FACTOR=%q: want a number from 1 to 30", v)
	}
	return n, nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
