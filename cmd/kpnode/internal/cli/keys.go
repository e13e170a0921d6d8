package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/node"
)

const keysSynopsis = "rotate [--reason TEXT] [--wait DURATION]"

// maxRotateWait is the longest --wait the API accepts.
const maxRotateWait = 10 * time.Minute

func runKeys(e *env, args []string) error {
	fs, homeFlag := e.newFlags("keys", keysSynopsis)
	reason := fs.String("reason", "", "told to the partners' operators in the hand-over")
	wait := fs.Duration("wait", time.Minute, "wait up to this long for the partners' receipts of the hand-over")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "rotate" {
		return usageErrorf("keys: want the subcommand rotate")
	}
	if *wait < time.Second || *wait > maxRotateWait {
		return usageErrorf("keys rotate: --wait must be between 1s and %s", maxRotateWait)
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	return rotateKeys(e, c, *reason, *wait)
}

// rotateKeys asks the daemon to rotate, then waits for it to come back
// with the new key.
func rotateKeys(e *env, c *client, reason string, wait time.Duration) error {
	body, _ := json.Marshal(api.RotateRequest{Reason: reason, WaitSeconds: int(wait.Seconds())})
	c.http = &http.Client{Timeout: wait + time.Minute}
	var res node.RotateResult
	if err := c.do(e, "POST", "/api/keys/rotate", body, &res); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Handed over from %s to %s in entry %d\n", res.OldFingerprint, res.NewFingerprint, res.Seq)
	fmt.Fprintf(e.Out, "  receipted by  %s\n", orNone(res.Confirmed))
	if len(res.Pending) > 0 {
		fmt.Fprintf(e.Out, "  pending       %s (they follow when the hand-over reaches them, from this node or any partner)\n", strings.Join(res.Pending, ","))
	}
	var s node.Status
	err := c.waitFor(e, 30*time.Second, func() error {
		if err := c.do(e, "GET", "/api/status", nil, &s); err != nil {
			return err
		}
		if s.Fingerprint != res.NewFingerprint {
			return &cliError{code: ExitUnreachable, err: fmt.Errorf("the node still runs with %s", s.Fingerprint)}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("the node did not come back with its new key: %w", err)
	}
	fmt.Fprintf(e.Out, "The node runs with its new key %s; the old one is kept in keys/retired/\n", s.Fingerprint)
	return nil
}

func orNone(codes []string) string {
	if len(codes) == 0 {
		return "none yet"
	}
	return strings.Join(codes, ",")
}

const recoverSynopsis = "[--force --note TEXT] [--json]"

func runRecover(e *env, args []string) error {
	fs, homeFlag := e.newFlags("recover", recoverSynopsis)
	force := fs.Bool("force", false, "end recovery now, without the partners' heads (audited)")
	note := fs.String("note", "", "why recovery is forced (required with --force)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *force && strings.TrimSpace(*note) == "" {
		return usageErrorf("recover --force needs --note TEXT: say why the partners' heads are not needed")
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	var r node.RecoveryStatus
	if *force {
		body, _ := json.Marshal(api.RecoverRequest{Note: *note})
		err = c.do(e, "POST", "/api/recovery/force", body, &r)
	} else {
		var s node.Status
		err = c.do(e, "GET", "/api/status", nil, &s)
		r = s.Recovery
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Out, r)
	}
	if !r.Recovering {
		fmt.Fprintf(e.Out, "Not recovering: the node appends at its head %d\n", r.OwnHead)
		return nil
	}
	printRecovery(e.Out, r)
	return nil
}
