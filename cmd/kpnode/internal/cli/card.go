package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

const maxCardFile = 64 << 10

// runCard prints the node's signed card: from the running daemon, else
// made from the home alone (node.OfflineCard), so that cards can be
// exchanged before the first run.
func runCard(e *env, args []string) error {
	fs, homeFlag := e.newFlags("card", "[--passphrase-file FILE] [verify FILE|-]")
	passFile := fs.String("passphrase-file", "", "the node passphrase, needed with the daemon stopped when the keys or the store are protected (else $KPNODE_PASSPHRASE_FILE)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 && pos[0] == "verify" {
		return verifyCard(e, pos[1:])
	}
	if len(pos) > 0 {
		return usageErrorf("card: unexpected %q (want: kpnode card, or kpnode card verify FILE)", pos[0])
	}
	return e.localStore(*homeFlag, *passFile, func(h home.Home, cfg node.Config, st *store.Store) error {
		return e.offlineCard(h, cfg, st, *passFile)
	}, func(c *client) error {
		var b []byte
		if err := c.do(e, "GET", "/api/card", nil, &b); err != nil {
			return err
		}
		_, err := e.Out.Write(b)
		return err
	})
}

// offlineCard prints the card made from the home while no daemon runs,
// warning of listen addresses it cannot name yet.
func (e *env) offlineCard(h home.Home, cfg node.Config, st *store.Store, passFile string) error {
	pass, err := e.passphrase(passFile)
	if err != nil {
		return err
	}
	id, err := h.ReadIdentity(pass)
	if errors.Is(err, crypto.ErrPassphraseRequired) {
		return withHint(err, "the daemon is stopped, so the card is signed here: pass --passphrase-file FILE or set KPNODE_PASSPHRASE_FILE")
	}
	if err != nil {
		return err
	}
	sc, skipped, err := node.OfflineCard(cfg, id, st, time.Now())
	if err != nil {
		return err
	}
	for _, a := range skipped {
		fmt.Fprintf(e.Err, "kpnode: listen address %s has port 0, chosen only when the daemon starts: the card leaves it out (set a fixed port in config.json to give it)\n", a)
	}
	_, err = e.Out.Write(sc.Bytes())
	return err
}

func verifyCard(e *env, args []string) error {
	if len(args) != 1 {
		return usageErrorf("card verify needs one FILE (or - for standard input)")
	}
	b, err := e.readInput(args[0], maxCardFile)
	if err != nil {
		return err
	}
	sc, err := protocol.ParseCard(b)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	c := sc.Card
	fmt.Fprintf(e.Out, "valid card: %s  %s\n  fingerprint  %s\n  peer id      %s\n  created      %s\n",
		c.Code, c.Name, sc.Fingerprint(), c.PeerID, c.Created.UTC().Format("2006-01-02 15:04:05Z"))
	for _, a := range c.Addrs {
		fmt.Fprintf(e.Out, "  address      %s\n", a)
	}
	fmt.Fprintln(e.Out, "Check the fingerprint with the partner by phone before you add the card.")
	return nil
}
