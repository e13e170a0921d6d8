package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/node"
)

const partnersSynopsis = "add FILE|- | list [--json] | remove CODE | addr CODE MULTIADDR...|--clear | pause CODE | resume CODE | repin CODE FILE|- --valid-through SEQ"

func runPartners(e *env, args []string) error {
	fs, homeFlag := e.newFlags("partners", partnersSynopsis)
	asJSON := fs.Bool("json", false, "print JSON (list)")
	clearAddrs := fs.Bool("clear", false, "remove the address override (addr)")
	validThrough := fs.String("valid-through", "", "repin: the last seq of the old key's feed to keep; its later entries are refused")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		pos = []string{"list"}
	}
	if *clearAddrs && pos[0] != "addr" {
		return usageErrorf("partners: --clear goes with addr only")
	}
	if (*validThrough != "") != (pos[0] == "repin") {
		return usageErrorf("partners: repin needs --valid-through SEQ, and --valid-through goes with repin only")
	}
	c, err := e.client(*homeFlag)
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
	case "addr":
		return setPartnerAddrs(e, c, pos[1:], *clearAddrs)
	case "pause", "resume":
		return pausePartner(e, c, pos[0], pos[1:])
	case "repin":
		return repinPartner(e, c, pos[1:], *validThrough)
	}
	return usageErrorf("partners: unknown subcommand %q (want add, list, remove, addr, pause, resume or repin)", pos[0])
}

// pausePartner pauses or resumes the link to one partner (verb "pause" or
// "resume").
func pausePartner(e *env, c *client, verb string, args []string) error {
	if len(args) != 1 {
		return usageErrorf("partners %s needs one partner CODE", verb)
	}
	code := strings.ToUpper(args[0])
	var p node.Partner
	if err := c.do(e, "POST", "/api/partners/"+url.PathEscape(code)+"/"+verb, nil, &p); err != nil {
		return err
	}
	if p.Paused {
		fmt.Fprintf(e.Out, "Paused partner %s: no connection until `kpnode partners resume %s`\n", p.Code, p.Code)
	} else {
		fmt.Fprintf(e.Out, "Resumed partner %s\n", p.Code)
	}
	return nil
}

// repinPartner re-pins a compromised partner from its new card.
func repinPartner(e *env, c *client, args []string, validThrough string) error {
	if len(args) != 2 {
		return usageErrorf("partners repin needs the partner CODE and its new card FILE (or - for standard input)")
	}
	if _, err := strconv.ParseUint(validThrough, 10, 64); err != nil {
		return usageErrorf("partners repin: --valid-through %q: want the last seq of the old key to keep (0 keeps none)", validThrough)
	}
	b, err := e.readInput(args[1], maxCardFile)
	if err != nil {
		return err
	}
	code := strings.ToUpper(args[0])
	var r node.RepinResult
	path := "/api/partners/" + url.PathEscape(code) + "/repin?valid_through=" + validThrough
	if err := c.do(e, "POST", path, b, &r); err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	fmt.Fprintf(e.Out, "Re-pinned partner %s: fingerprint %s (was %s)\n", r.Partner.Code, r.Partner.Fingerprint, r.OldFingerprint)
	fmt.Fprintf(e.Out, "  entries of the old key after %d are refused; %d already held were taken out of the feed and kept as evidence\n",
		r.ValidThrough, r.TakenOut)
	return nil
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
	if p.Standing != "" {
		fmt.Fprintf(e.Err, "warning: %s: by the participant list today it is no active participant; its records dated before still count (kpnode participants)\n", p.Standing)
	}
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
		state := "active"
		if p.Paused {
			state = "paused"
		}
		rows = append(rows, []string{p.Code, p.Name, p.Fingerprint, stamp(p.Added), state, dialAddrs(p)})
	}
	if err := table(e.Out, []string{"CODE", "NAME", "FINGERPRINT", "ADDED", "LINK", "ADDRESSES"}, rows); err != nil {
		return err
	}
	for _, p := range ps {
		if p.Standing != "" {
			fmt.Fprintf(e.Out, "Note: %s (participant list as of today)\n", p.Standing)
		}
	}
	return nil
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

// dialAddrs is the addresses the node dials: the override, marked as such,
// else the card's.
func dialAddrs(p node.Partner) string {
	s := orDash(strings.Join(partnerDialList(p), " "))
	if len(p.AddrOverride) > 0 {
		s += " (override)"
	}
	return s
}

func setPartnerAddrs(e *env, c *client, args []string, clearAddrs bool) error {
	switch {
	case len(args) == 0:
		return usageErrorf("partners addr needs a partner CODE, then MULTIADDRs or --clear")
	case clearAddrs && len(args) > 1:
		return usageErrorf("partners addr %s: give MULTIADDRs or --clear, not both", args[0])
	case !clearAddrs && len(args) == 1:
		return usageErrorf("partners addr %s: give one or more MULTIADDRs, or --clear to dial the card's addresses again", args[0])
	}
	code := strings.ToUpper(args[0])
	body, _ := json.Marshal(api.PartnerAddrsRequest{Addrs: append([]string{}, args[1:]...)})
	var p node.Partner
	if err := c.do(e, "PUT", "/api/partners/"+url.PathEscape(code)+"/addrs", body, &p); err != nil {
		return err
	}
	if clearAddrs {
		fmt.Fprintf(e.Out, "Cleared the address override of %s: the node dials its card's addresses\n", code)
	} else {
		fmt.Fprintf(e.Out, "The node dials %s at its override addresses\n", code)
	}
	for _, a := range partnerDialList(p) {
		fmt.Fprintf(e.Out, "  %s\n", a)
	}
	return nil
}

func partnerDialList(p node.Partner) []string {
	if len(p.AddrOverride) > 0 {
		return p.AddrOverride
	}
	return p.Addrs
}
