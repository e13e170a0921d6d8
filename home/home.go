package home

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
)

// Home is a node's home directory:
//
//	config.json   the configuration (see [node.Config])
//	identity.key  the node's keys, 0600, optionally passphrase-protected
//	api.token     the bearer token of the local API, 0600
//	store/        the Badger store
//	store.id      the identity of the store, also kept inside it
//	store.key     the store's encryption key wrapped with the passphrase, 0600 (encrypted stores only)
//	run.lock      held (flock; LockFileEx on Windows) by the running daemon; holds its pid
//	api.addr      the API address the running daemon listens on
type Home struct {
	Dir string

	// storeKey is the store's encryption key once [Home.Unlock] has
	// unwrapped it; nil for a plaintext store or a locked home.
	storeKey []byte
}

// Paths inside a home.
func (h Home) ConfigPath() string  { return filepath.Join(h.Dir, "config.json") }
func (h Home) KeyPath() string     { return filepath.Join(h.Dir, "identity.key") }
func (h Home) TokenPath() string   { return filepath.Join(h.Dir, "api.token") }
func (h Home) StoreDir() string    { return filepath.Join(h.Dir, "store") }
func (h Home) LockPath() string    { return filepath.Join(h.Dir, "run.lock") }
func (h Home) APIAddrPath() string { return filepath.Join(h.Dir, "api.addr") }

// InitOptions tunes [InitHome].
type InitOptions struct {
	Passphrase crypto.Secret // protects identity.key when not empty
	WorkFactor int           // scrypt work factor; 0 for age's default
	// EncryptStore encrypts the store at rest with a random key kept in
	// store.key, wrapped with Passphrase (which it requires).
	EncryptStore bool
	// Identity, when set, is used instead of a fresh one: keys restored
	// from a backup (kpnode init --from-key). The new store is then
	// flagged as recovering (see [store.Store.MarkRecovering]): the node
	// appends nothing until it has learned its own head from its partners.
	Identity *crypto.Identity
}

// InitHome creates a node home: a fresh identity, an API token and the
// configuration. It refuses a directory that already holds a node.
func InitHome(dir string, cfg node.Config, opts InitOptions) (*crypto.Identity, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.EncryptStore && len(opts.Passphrase) == 0 {
		return nil, fmt.Errorf("init %s: %w", dir, ErrEncryptNeedsPassphrase)
	}
	h := Home{Dir: dir}
	for _, p := range []string{h.ConfigPath(), h.KeyPath(), h.TokenPath(), h.StoreDir(), h.StoreKeyPath()} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("init %s: %w (found %s)", dir, ErrHomeExists, filepath.Base(p))
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	return initFiles(h, cfg, opts)
}

// initFiles writes the key and token first and the config last: a home is
// initialised once config.json exists.
func initFiles(h Home, cfg node.Config, opts InitOptions) (*crypto.Identity, error) {
	id, err := opts.Identity, error(nil)
	if id == nil {
		id, err = crypto.NewIdentity()
	}
	if err != nil {
		return nil, err
	}
	kopts := crypto.KeyFileOptions{Passphrase: opts.Passphrase, WorkFactor: opts.WorkFactor}
	if err := crypto.WriteKeyFile(h.KeyPath(), id, kopts); err != nil {
		return nil, err
	}
	tok, err := crypto.NewToken()
	if err != nil {
		return nil, err
	}
	if err := crypto.WriteSecretFile(h.TokenPath(), tok); err != nil {
		return nil, err
	}
	if opts.EncryptStore {
		if h, err = h.NewStoreKey(kopts); err != nil {
			return nil, fmt.Errorf("init %s: %w", h.Dir, err)
		}
	}
	st, err := h.OpenStore(nil)
	if err != nil {
		return nil, fmt.Errorf("init %s: create the store: %w", h.Dir, err)
	}
	if opts.Identity != nil {
		err = st.MarkRecovering("keys restored by kpnode init --from-key into a new store: this node's own latest head is unknown")
	}
	if err := errors.Join(err, st.Close()); err != nil {
		return nil, fmt.Errorf("init %s: create the store: %w", h.Dir, err)
	}
	if err := cfg.WriteFile(h.ConfigPath()); err != nil {
		return nil, fmt.Errorf("init %s: write config: %w", h.Dir, err)
	}
	return id, nil
}

// OpenHome loads the configuration of an initialised home.
func OpenHome(dir string) (Home, node.Config, error) {
	h := Home{Dir: dir}
	if _, err := os.Stat(h.ConfigPath()); errors.Is(err, fs.ErrNotExist) {
		return h, node.Config{}, fmt.Errorf("%w: %s has no config.json", ErrNotInitialised, dir)
	}
	cfg, err := node.LoadConfig(h.ConfigPath())
	return h, cfg, err
}

// ReadToken reads the API bearer token.
func (h Home) ReadToken() (crypto.Secret, error) { return crypto.ReadSecretFile(h.TokenPath()) }

// ReadIdentity reads the node's keys, with a passphrase when they are
// protected.
func (h Home) ReadIdentity(passphrase crypto.Secret) (*crypto.Identity, error) {
	return crypto.ReadKeyFile(h.KeyPath(), passphrase)
}

// Lock takes the home's run lock, so only one daemon runs per home. The lock
// is released by the returned function or when the process dies.
func (h Home) Lock() (unlock func(), err error) {
	f, err := os.OpenFile(h.LockPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock home: %w", err)
	}
	if err := tryLock(f); err != nil {
		pid := readPID(f)
		f.Close()
		return nil, fmt.Errorf("%w: %s (pid %s)", ErrHomeLocked, h.Dir, pid)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		os.Remove(h.APIAddrPath())
		f.Close()
	}, nil
}

func readPID(f *os.File) string {
	b := make([]byte, 16)
	n, _ := f.ReadAt(b, 0)
	if s := strings.TrimSpace(string(b[:n])); s != "" {
		return s
	}
	return "unknown"
}

// APIAddr returns where the daemon's API listens: the address the running
// daemon recorded, else the configured one.
func (h Home) APIAddr(cfg node.Config) string {
	if b, err := os.ReadFile(h.APIAddrPath()); err == nil {
		if s := strings.TrimSpace(string(b)); s != "" {
			return s
		}
	}
	return cfg.API
}

// WriteAPIAddr records the address the API listens on.
func (h Home) WriteAPIAddr(addr string) error {
	return os.WriteFile(h.APIAddrPath(), []byte(addr+"\n"), 0o600)
}
