package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"runtime/debug"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/staff"
	"github.com/kpnode/kpnode/store"
)

type daemonFlags struct {
	home, api, passFile, logFormat, logLevel string
	listen                                   multiFlag
}

func runDaemon(e *env, args []string) error {
	fs, homeFlag := e.newFlags("run", "[--home DIR] [--listen MULTIADDR]... [--api HOST:PORT]")
	var f daemonFlags
	fs.Var(&f.listen, "listen", "libp2p listen multiaddr (repeatable; replaces the configured ones)")
	fs.StringVar(&f.api, "api", "", "API address HOST:PORT (overrides the configuration; port 0 picks one)")
	fs.StringVar(&f.passFile, "passphrase-file", "", "file holding the key passphrase (or $KPNODE_PASSPHRASE_FILE)")
	fs.StringVar(&f.logFormat, "log-format", "auto", "log format: text, json, or auto (text on a terminal)")
	fs.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn, error (overrides the configuration)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	f.home = *homeFlag
	return e.daemon(f)
}

// daemonGCPercent is the daemon's GOGC unless the environment sets one.
// Go's default (100) lets the heap grow to twice what the last collection
// kept before the next, and the runtime keeps that much resident: Badger's
// memtable (a 21 MB arena, 16 MB of it the table) alone made an idle node
// with 60 partners hold 70-75 MB. At 50 it holds 60-65 MB; the cost is a
// collection twice as often under load, where most of the heap (the
// memtables, Badger's block buffers) holds no pointers and is cheap to
// mark. docs/operations.md ("Running") tells operators how to change it.
const daemonGCPercent = 50

// minFileLimit is the descriptor limit below which the daemon warns: half
// for libp2p, 128 for the API, the rest for Badger and the node's files
// (docs/operations.md, "File descriptors").
const minFileLimit = 1024

// setDaemonGC applies daemonGCPercent unless GOGC is set.
func setDaemonGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(daemonGCPercent)
	}
}

func (e *env) daemon(f daemonFlags) error {
	setDaemonGC()
	dir, err := e.homeDir(f.home)
	if err != nil {
		return err
	}
	h, cfg, err := home.OpenHome(dir)
	if err != nil {
		return homeError(err, dir)
	}
	if err := applyOverrides(&cfg, f); err != nil {
		return err
	}
	log, err := newLogger(e.Err, f.logFormat, cfg.LogLevel)
	if err != nil {
		return &cliError{code: ExitUsage, err: err}
	}
	unlock, err := h.Lock()
	if err != nil {
		return withHint(err, "stop the other daemon first, or use another --home")
	}
	defer unlock()
	pass, err := e.passphrase(f.passFile)
	if err != nil {
		return err
	}
	if h, err = e.unlockHome(h, f.passFile); err != nil {
		return err
	}
	if err := raiseFileLimit(); err != nil {
		log.Warn("cannot raise the file descriptor limit to the hard limit", "limit", fileLimit(), "err", err)
	}
	if fds := fileLimit(); fds < minFileLimit {
		log.Warn("the file descriptor limit is low: raise it (ulimit -n) for many partners", "limit", fds, "want", minFileLimit)
	}
	return e.serve(h, cfg, pass, log)
}

func applyOverrides(cfg *node.Config, f daemonFlags) error {
	if len(f.listen) > 0 {
		cfg.Listen = f.listen
	}
	if f.api != "" {
		cfg.API = f.api
	}
	if f.logLevel != "" {
		cfg.LogLevel = f.logLevel
	}
	if err := cfg.Validate(); err != nil {
		return &cliError{code: ExitUsage, err: err}
	}
	return nil
}

// readIdentity reads the home's key, finishing the key-file swap of a
// rotation that a crash interrupted.
func readIdentity(h home.Home, pass crypto.Secret) (*crypto.Identity, error) {
	if _, err := os.Stat(h.KeyPath()); errors.Is(err, fs.ErrNotExist) {
		// A crash between the two renames of a rotation.
		if err := os.Rename(h.NextKeyPath(), h.KeyPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	id, err := h.ReadIdentity(pass)
	if errors.Is(err, crypto.ErrPassphraseRequired) {
		return nil, withHint(err, "pass --passphrase-file FILE or set KPNODE_PASSPHRASE_FILE")
	}
	return id, err
}

// serve opens the store, starts the node and serves the API until the
// context ends. After a key rotation it starts the node again with the
// new key, on the same store and API address.
func (e *env) serve(h home.Home, cfg node.Config, pass crypto.Secret, log *slog.Logger) error {
	st, err := h.OpenStoreReserve(log.With("component", "store"), cfg.StoreMinFree())
	if err != nil {
		return err
	}
	defer st.Close()
	release, stopRelease := context.WithCancel(e.ctx)
	defer stopRelease()
	go releaseMemoryEvery(release, releaseHeapEvery, ReleaseEvery, releaseAbove, st, log)
	for {
		restart, err := e.serveNode(h, cfg, st, pass, log)
		if err != nil || !restart || e.ctx.Err() != nil {
			return err
		}
		log.Warn("keys rotated: restarting the node with the new key")
		cfg.API = h.APIAddr(cfg) // keep the address clients know
	}
}

// serveNode runs the node with the home's current key until the context
// ends or the node asks for a restart, which it reports.
func (e *env) serveNode(h home.Home, cfg node.Config, st *store.Store, pass crypto.Secret, log *slog.Logger) (bool, error) {
	id, err := readIdentity(h, pass)
	if err == nil {
		id, err = home.FinishRotation(h, st, id, pass)
	}
	if err != nil {
		return false, err
	}
	retired, err := h.ReadRetiredIdentities(pass)
	if err != nil {
		return false, err
	}
	n, err := node.New(cfg, id, st, log.With("component", "node"))
	if err != nil {
		return false, err
	}
	n.SetRetiredIdentities(retired)
	n.SetKeyVault(home.HomeKeys{Home: h, Opts: crypto.KeyFileOptions{Passphrase: pass}})
	if err := n.Start(e.ctx); err != nil {
		return false, err
	}
	defer n.Close()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	restarted := make(chan bool, 1)
	go func() {
		select {
		case <-n.Restart():
			restarted <- true
			cancel()
		case <-ctx.Done():
			restarted <- false
		}
	}()
	err = e.serveAPI(ctx, h, cfg, n, st, log)
	cancel()
	return <-restarted && e.ctx.Err() == nil, err
}

func (e *env) serveAPI(ctx context.Context, h home.Home, cfg node.Config, n *node.Node, st *store.Store, log *slog.Logger) error {
	tok, err := h.ReadToken()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.API)
	if err != nil {
		return withHint(fmt.Errorf("listen for the API on %s: %w", cfg.API, err), "choose another address with --api HOST:PORT")
	}
	if err := h.WriteAPIAddr(ln.Addr().String()); err != nil {
		ln.Close()
		return fmt.Errorf("record API address: %w", err)
	}
	dir, err := staff.Open(st, staff.DefaultConfig())
	if err != nil {
		ln.Close()
		return err
	}
	hd, err := api.NewHandler(n, tok, log.With("component", "api"), api.WithListenAddr(cfg.API, ln.Addr().String()),
		api.WithStaff(dir), api.WithTokenFile(h.TokenPath()))
	if err != nil {
		ln.Close()
		return err
	}
	srv := api.DefaultServerConfig()
	srv.MaxConns = api.MaxConnsFor(fileLimit())
	srv.Logger = log.With("component", "api")
	log.Info("API listening", "addr", "http://"+ln.Addr().String(), "home", h.Dir, "max_conns", srv.MaxConns)
	err = srv.Serve(ctx, ln, hd)
	log.Info("node stopped")
	return err
}

// newLogger builds the daemon's slog logger: text on a terminal, JSON
// otherwise, unless format says which.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	lvl, err := node.ParseLogLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "auto", "":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text, json or auto", format)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
