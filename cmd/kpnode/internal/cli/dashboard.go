package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"time"

	"github.com/kpnode/kpnode/api"
)

// openTimeout bounds how long --open waits for the desktop's opener.
const openTimeout = 10 * time.Second

// runDashboard asks the running node for a one-time sign-in link to its
// web dashboard and prints it; --open also hands it to the desktop's
// browser.
func runDashboard(e *env, args []string) error {
	fs, home := e.newFlags("dashboard", "[--open]")
	open := fs.Bool("open", false, "also open the link in the default browser (best effort)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("dashboard: unexpected %q (want: kpnode dashboard [--open])", pos[0])
	}
	c, err := e.client(*home)
	if err != nil {
		return err
	}
	var link api.SigninLink
	if err := c.do(e, "POST", "/api/signin-links", nil, &link); err != nil {
		return err
	}
	fmt.Fprintln(e.Out, link.URL)
	fmt.Fprintf(e.Err, "Open this link in a browser on this computer to sign in to the dashboard.\nIt works once, until %s.\n",
		link.Expires.Local().Format("15:04:05"))
	if *open {
		if err := openBrowser(e.ctx, link.URL); err != nil {
			fmt.Fprintf(e.Err, "kpnode: could not open a browser (%v); open the link yourself\n", err)
		}
	}
	return nil
}

// openBrowser hands url to the desktop's opener: open on macOS, xdg-open
// elsewhere.
func openBrowser(ctx context.Context, url string) error {
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
	if out, err := exec.CommandContext(ctx, path, url).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w %s", name, err, out)
	}
	return nil
}
