package cli

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/kpnode/kpnode/node"
)

func runPartners(e *env, args []string) error {
	fs, home := e.newFlags("partners", "add FILE|- | list [--json] | remove CODE")
	asJSON := fs.Bool("json", false, "print JSON (list)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		pos = []string{"list"}
	}
	c, err := e.client(*home)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "add":
		return addPartner(e, c, pos[1:])
	case "list":
		return listPartners(e, c, *asJSON)
	case "remove", "rm":
		return removePartner(e, c, pos[1:])
	}
	return usageErrorf("partners: unknown subcommand %q (want add, list or remove)", pos[0])
}

func addPartner(e *env, c *client, args []string) error {
	if len(args) != 1 {
		return usageErrorf("partners add needs one card FILE (or - for standard input)")
	}
	b, err := e.readInput(args[0], maxCardFile)
	if err != nil {
		return err
	}
	var p node.Partner
	if err := c.do(e, "POST", "/api/partners", b, &p); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	fmt.Fprintf(e.Out, "Pinned partner %s (%s), fingerprint %s\n", p.Code, p.Name, p.Fingerprint)
	return nil
}

func listPartners(e *env, c *client, asJSON bool) error {
	var ps []node.Partner
	if err := c.do(e, "GET", "/api/partners", nil, &ps); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, ps)
	}
	if len(ps) == 0 {
		fmt.Fprintln(e.Out, "No partners pinned. Add one with: kpnode partners add CARD-FILE")
		return nil
	}
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		addrs := p.Addrs
		if len(p.AddrOverride) > 0 {
			addrs = p.AddrOverride
		}
		rows = append(rows, []string{p.Code, p.Name, p.Fingerprint, stamp(p.Added), orDash(strings.Join(addrs, " "))})
	}
	return table(e.Out, []string{"CODE", "NAME", "FINGERPRINT", "ADDED", "ADDRESSES"}, rows)
}

func removePartner(e *env, c *client, args []string) error {
	if len(args) != 1 {
		return usageErrorf("partners remove needs one participant CODE")
	}
	code := strings.ToUpper(args[0])
	if err := c.do(e, "DELETE", "/api/partners/"+url.PathEscape(code), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Removed partner %s: its connections are closed and nothing more is encrypted to it.\n", code)
	return nil
}
