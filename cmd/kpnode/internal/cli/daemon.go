package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
)

type daemonFlags struct {
	home, api, passFile, logFormat, logLevel string
	listen                                   multiFlag
}

func runDaemon(e *env, args []string) error {
	fs, home := e.newFlags("run", "[--home DIR] [--listen MULTIADDR]... [--api HOST:PORT]")
	var f daemonFlags
	fs.Var(&f.listen, "listen", "libp2p listen multiaddr (repeatable; replaces the configured ones)")
	fs.StringVar(&f.api, "api", "", "API address HOST:PORT (overrides the configuration; port 0 picks one)")
	fs.StringVar(&f.passFile, "passphrase-file", "", "file holding the key passphrase (or $KPNODE_PASSPHRASE_FILE)")
	fs.StringVar(&f.logFormat, "log-format", "auto", "log format: text, json, or auto (text on a terminal)")
	fs.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn, error (overrides the configuration)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	f.home = *home
	return e.daemon(f)
}

func (e *env) daemon(f daemonFlags) error {
	dir, err := e.homeDir(f.home)
	if err != nil {
		return err
	}
	h, cfg, err := node.OpenHome(dir)
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
	id, err := e.loadIdentity(h, f.passFile)
	if err != nil {
		return err
	}
	if h, err = e.unlockHome(h, f.passFile); err != nil {
		return err
	}
	return e.serve(h, cfg, id, log)
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

func (e *env) loadIdentity(h node.Home, passFile string) (*crypto.Identity, error) {
	pass, err := e.passphrase(passFile)
	if err != nil {
		return nil, err
	}
	id, err := h.ReadIdentity(pass)
	if errors.Is(err, crypto.ErrPassphraseRequired) {
		return nil, withHint(err, "pass --passphrase-file FILE or set KPNODE_PASSPHRASE_FILE")
	}
	return id, err
}

// serve opens the store, starts the node and serves the API until the
// context ends.
func (e *env) serve(h node.Home, cfg node.Config, id *crypto.Identity, log *slog.Logger) error {
	st, err := h.OpenStoreReserve(log.With("component", "store"), cfg.StoreMinFree())
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := node.New(cfg, id, st, log.With("component", "node"))
	if err != nil {
		return err
	}
	if err := n.Start(e.ctx); err != nil {
		return err
	}
	defer n.Close()
	return e.serveAPI(h, cfg, n, log)
}

func (e *env) serveAPI(h node.Home, cfg node.Config, n *node.Node, log *slog.Logger) error {
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
	log.Info("API listening", "addr", "http://"+ln.Addr().String(), "home", h.Dir)
	err = api.Serve(e.ctx, ln, api.NewHandler(n, tok, log.With("component", "api")))
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
