package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/kpnode/kpnode/api"
)

// openTimeout bounds how long --open waits for the desktop's opener.
const openTimeout = 10 * time.Second

// signinPageName is the file --open writes in the node's home: the page
// that posts the one-time code to the node.
const signinPageName = "dashboard-signin.html"

const dashboardSynopsis = "[--open] | sessions [--json] | revoke ID"

// runDashboard asks the running node for a one-time sign-in link to its
// web dashboard and prints it, or with --open signs the desktop's browser
// in; "sessions" lists the browsers signed in and "revoke" ends one.
func runDashboard(e *env, args []string) error {
	fset, homeFlag := e.newFlags("dashboard", dashboardSynopsis)
	open := fset.Bool("open", false, "sign in the default browser of this computer instead of printing the link")
	asJSON := fset.Bool("json", false, "sessions: print JSON")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && pos[0] == "sessions":
		return listSessions(e, c, *asJSON)
	case len(pos) == 2 && pos[0] == "revoke":
		return revokeSession(e, c, pos[1])
	case len(pos) > 0 && pos[0] == "revoke":
		return usageErrorf("dashboard revoke needs one session ID (see kpnode dashboard sessions)")
	case len(pos) > 0:
		return usageErrorf("dashboard: unexpected %q (want: kpnode dashboard %s)", pos[0], dashboardSynopsis)
	}
	var link api.SigninLink
	if err := c.do(e, "POST", "/api/signin-links", nil, &link); err != nil {
		return err
	}
	if *open && openSignin(e, c, link) {
		return nil
	}
	fmt.Fprintln(e.Out, link.URL)
	fmt.Fprintf(e.Err, "Open this link in a browser on this computer to sign in to the dashboard.\nIt works once, until %s.\n",
		link.Expires.Local().Format("15:04:05"))
	return nil
}

// openSignin writes the sign-in page into the home (0600: only the node's
// user reads the code) and hands its path, nothing secret, to the
// desktop's opener. It reports whether the opener took it.
func openSignin(e *env, c *client, link api.SigninLink) bool {
	path, err := writeSigninPage(c.home.Dir, link)
	if err == nil {
		err = openBrowser(e.ctx, path)
	}
	if err != nil {
		fmt.Fprintf(e.Err, "kpnode: could not open a browser (%v); open the link yourself:\n", err)
		return false
	}
	fmt.Fprintf(e.Err, "Signing in the browser with %s (it works once, until %s).\n", path, link.Expires.Local().Format("15:04:05"))
	return true
}

// writeSigninPage writes the page afresh (a page left by an earlier run,
// whatever its mode, is removed first) and returns its path.
func writeSigninPage(dir string, link api.SigninLink) (string, error) {
	page, err := api.SigninPage(link)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, signinPageName)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("remove old sign-in page: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write sign-in page: %w", err)
	}
	_, err = f.Write(page)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write sign-in page: %w", err)
	}
	return path, nil
}

// openBrowser hands a file path or URL to the desktop's opener: open on
// macOS, xdg-open elsewhere. Its command line is readable by every local
// user, so it must never carry a secret.
func openBrowser(ctx context.Context, target string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return errors.New(name + " is not installed")
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, path, target).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w %s", name, err, out)
	}
	return nil
}

func listSessions(e *env, c *client, asJSON bool) error {
	var list []api.Session
	if err := c.do(e, "GET", "/api/sessions", nil, &list); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.Out, "No browser is signed in.")
		return nil
	}
	rows := make([][]string, 0, len(list))
	for _, s := range list {
		rows = append(rows, []string{s.ID, orDash(s.Actor), stamp(s.Created), stamp(s.LastSeen), stamp(s.Expires), orDash(s.Remote), orDash(s.Agent)})
	}
	return table(e.Out, []string{"ID", "WHO", "SIGNED IN", "LAST SEEN", "EXPIRES", "FROM", "BROWSER"}, rows)
}

func revokeSession(e *env, c *client, id string) error {
	if err := c.do(e, "DELETE", "/api/sessions/"+url.PathEscape(id), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Revoked session %s: that browser is signed out.\n", id)
	return nil
}
