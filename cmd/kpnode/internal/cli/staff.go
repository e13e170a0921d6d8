package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/staff"
)

// The staff commands are clients of the running node, as an
// administrator: the node's own token (api.token), or $KPNODE_TOKEN
// holding an administrator's staff token.

const usersSynopsis = "list [--json] | add NAME --role ROLE [--password-file FILE] | passwd NAME [--password-file FILE] | role NAME ROLE | remove NAME"

// runUsers manages the node's staff accounts.
func runUsers(e *env, args []string) error {
	fs, homeFlag := e.newFlags("users", usersSynopsis)
	asJSON := fs.Bool("json", false, "list: print JSON")
	role := fs.String("role", "", "add: viewer, clerk or administrator")
	pwFile := fs.String("password-file", "", "add, passwd: read the password from this file's first line (default: asked on the terminal, or standard input's first line)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("users: want a subcommand (kpnode users %s)", usersSynopsis)
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	switch sub, rest := pos[0], pos[1:]; {
	case sub == "list" && len(rest) == 0:
		return listUsers(e, c, *asJSON)
	case sub == "add" && len(rest) == 1:
		if *role == "" {
			return usageErrorf("users add: --role is required (viewer, clerk or administrator)")
		}
		return addUser(e, c, rest[0], *role, *pwFile)
	case sub == "passwd" && len(rest) == 1:
		return setUserPassword(e, c, rest[0], *pwFile)
	case sub == "role" && len(rest) == 2:
		return setUserRole(e, c, rest[0], rest[1])
	case sub == "remove" && len(rest) == 1:
		if err := c.do(e, "DELETE", "/api/users/"+url.PathEscape(rest[0]), nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(e.Out, "Removed user %s: their sessions ended and their tokens were revoked.\n", rest[0])
		return nil
	}
	return usageErrorf("users: unexpected %q (want: kpnode users %s)", strings.Join(pos, " "), usersSynopsis)
}

func listUsers(e *env, c *client, asJSON bool) error {
	var list []staff.User
	if err := c.do(e, "GET", "/api/users", nil, &list); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.Out, "No staff accounts: only the node's own token (api.token) signs in.")
		return nil
	}
	rows := make([][]string, 0, len(list))
	for _, u := range list {
		rows = append(rows, []string{u.Name, u.Role.String(), stamp(u.Created), stamp(u.Changed)})
	}
	return table(e.Out, []string{"NAME", "ROLE", "CREATED", "CHANGED"}, rows)
}

func addUser(e *env, c *client, name, role, pwFile string) error {
	r, err := staff.ParseRole(role)
	if err != nil {
		return usageErrorf("users add: --role %q: want viewer, clerk or administrator", role)
	}
	pw, err := e.readPassword(pwFile)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(api.UserRequest{Name: name, Role: r, Password: string(pw.Reveal())})
	var u staff.User
	if err := c.do(e, "POST", "/api/users", body, &u); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Added user %s (%s). They sign in to the dashboard with their name and password.\n", u.Name, u.Role)
	return nil
}

func setUserPassword(e *env, c *client, name, pwFile string) error {
	pw, err := e.readPassword(pwFile)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(api.PasswordRequest{Password: string(pw.Reveal())})
	if err := c.do(e, "PUT", "/api/users/"+url.PathEscape(name)+"/password", body, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Changed the password of %s; their dashboard sessions ended.\n", name)
	return nil
}

func setUserRole(e *env, c *client, name, role string) error {
	r, err := staff.ParseRole(role)
	if err != nil {
		return usageErrorf("users role: %q: want viewer, clerk or administrator", role)
	}
	body, _ := json.Marshal(api.RoleRequest{Role: r})
	var u staff.User
	if err := c.do(e, "PUT", "/api/users/"+url.PathEscape(name)+"/role", body, &u); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "%s is now a %s; their dashboard sessions ended.\n", u.Name, u.Role)
	return nil
}

// readPassword reads a password from the first line of the file path,
// else, when standard input is a terminal, by asking for it twice without
// echo, else from standard input's first line. It is never taken from the
// command line, where every local user could read it.
func (e *env) readPassword(path string) (crypto.Secret, error) {
	if path != "" {
		return crypto.ReadSecretFile(path)
	}
	if fd, ok := e.terminalIn(); ok {
		return e.promptPassword(fd)
	}
	line, err := bufio.NewReader(io.LimitReader(e.In, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, usageErrorf("no password: give it on standard input's first line or with --password-file FILE")
	}
	return crypto.Secret(line), nil
}

const tokensSynopsis = "list [--json] | create NAME (--user USER | --role ROLE) [--ttl 720h] [--json] | revoke NAME|ID"

// runTokens manages the staff API tokens.
func runTokens(e *env, args []string) error {
	fs, homeFlag := e.newFlags("tokens", tokensSynopsis)
	asJSON := fs.Bool("json", false, "print JSON")
	user := fs.String("user", "", "create: the token acts as this user, in the user's role")
	role := fs.String("role", "", "create: a service token's role (viewer, clerk or administrator)")
	ttl := fs.String("ttl", "", "create: lifetime, such as 720h (default 2160h, at most 8784h)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("tokens: want a subcommand (kpnode tokens %s)", tokensSynopsis)
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	switch sub, rest := pos[0], pos[1:]; {
	case sub == "list" && len(rest) == 0:
		return listTokens(e, c, *asJSON)
	case sub == "create" && len(rest) == 1:
		return createToken(e, c, api.TokenCreateRequest{Name: rest[0], User: *user, TTL: *ttl}, *role, *asJSON)
	case sub == "revoke" && len(rest) == 1:
		var t staff.Token
		if err := c.do(e, "DELETE", "/api/tokens/"+url.PathEscape(rest[0]), nil, &t); err != nil {
			return err
		}
		fmt.Fprintf(e.Out, "Revoked token %s (%s): it is refused from now on.\n", t.Name, t.ID)
		return nil
	}
	return usageErrorf("tokens: unexpected %q (want: kpnode tokens %s)", strings.Join(pos, " "), tokensSynopsis)
}

func listTokens(e *env, c *client, asJSON bool) error {
	var list []staff.Token
	if err := c.do(e, "GET", "/api/tokens", nil, &list); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.Out, "No staff tokens.")
		return nil
	}
	rows := make([][]string, 0, len(list))
	for _, t := range list {
		actsAs, role := "token:"+t.Name, t.Role.String()
		if t.User != "" {
			actsAs, role = t.User, "(the user's)"
		}
		rows = append(rows, []string{t.Name, t.ID, actsAs, role, stamp(t.Created), stamp(t.Expires)})
	}
	return table(e.Out, []string{"NAME", "ID", "ACTS AS", "ROLE", "CREATED", "EXPIRES"}, rows)
}

func createToken(e *env, c *client, req api.TokenCreateRequest, role string, asJSON bool) error {
	if role != "" {
		r, err := staff.ParseRole(role)
		if err != nil {
			return usageErrorf("tokens create: --role %q: want viewer, clerk or administrator", role)
		}
		req.Role = r
	}
	body, _ := json.Marshal(req)
	var t api.CreatedToken
	if err := c.do(e, "POST", "/api/tokens", body, &t); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, t)
	}
	fmt.Fprintln(e.Out, t.Secret)
	fmt.Fprintf(e.Err, "Token %s (%s) expires %s. This is the only time its secret is shown:\nkeep it where its user can read it, and give it as KPNODE_TOKEN or a Bearer header.\n",
		t.Name, t.ID, stamp(t.Expires))
	return nil
}

const tokenSynopsis = "rotate"

// runToken rotates the node's own token (api.token).
func runToken(e *env, args []string) error {
	fs, homeFlag := e.newFlags("token", tokenSynopsis)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "rotate" {
		return usageErrorf("token: want: kpnode token rotate")
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	if err := c.do(e, "POST", "/api/token/rotate", nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Rotated the node's token: %s holds the new one; the old one is refused from now on.\n", c.home.TokenPath())
	return nil
}
