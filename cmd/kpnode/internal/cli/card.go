package cli

import (
	"fmt"

	"github.com/kpnode/kpnode/protocol"
)

const maxCardFile = 64 << 10

func runCard(e *env, args []string) error {
	fs, homeFlag := e.newFlags("card", "[verify FILE|-]")
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
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	var b []byte
	if err := c.do(e, "GET", "/api/card", nil, &b); err != nil {
		return err
	}
	_, err = e.Out.Write(b)
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
