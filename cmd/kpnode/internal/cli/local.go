package cli

import (
	"errors"

	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/store"
)

// localStore runs a command against the home's store: directly when no
// daemon runs (the command then holds the home's run lock), else through
// the running daemon's API, since the daemon owns the store. An encrypted
// store is unlocked with the passphrase in passFile, else in
// $KPNODE_PASSPHRASE_FILE.
func (e *env) localStore(homeFlag, passFile string, direct func(h home.Home, cfg node.Config, st *store.Store) error,
	viaAPI func(c *client) error) error {
	dir, err := e.homeDir(homeFlag)
	if err != nil {
		return err
	}
	h, cfg, err := home.OpenHome(dir)
	if err != nil {
		return homeError(err, dir)
	}
	unlock, err := h.Lock()
	if errors.Is(err, home.ErrHomeLocked) {
		c, err := e.client(homeFlag)
		if err != nil {
			return err
		}
		return viaAPI(c)
	}
	if err != nil {
		return err
	}
	defer unlock()
	if h, err = e.unlockHome(h, passFile); err != nil {
		return err
	}
	st, err := h.OpenStore(nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return direct(h, cfg, st)
}
