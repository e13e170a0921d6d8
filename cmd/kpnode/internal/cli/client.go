package cli

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/tabular"
)

// client talks to a running node's local API.
type client struct {
	home  home.Home
	cfg   node.Config
	token crypto.Secret
	http  *http.Client
}

// client opens the home named by the --home flag value and returns an API
// client for its daemon.
func (e *env) client(homeFlag string) (*client, error) {
	dir, err := e.homeDir(homeFlag)
	if err != nil {
		return nil, err
	}
	h, cfg, err := home.OpenHome(dir)
	if err != nil {
		return nil, homeError(err, dir)
	}
	tok, err := e.apiToken(h)
	if err != nil {
		return nil, err
	}
	return &client{home: h, cfg: cfg, token: tok, http: &http.Client{Timeout: requestTimeout}}, nil
}

// apiToken is the token the client sends: a staff token from
// $KPNODE_TOKEN, else from the file $KPNODE_TOKEN_FILE names (0600), else
// the node's own api.token.
func (e *env) apiToken(h home.Home) (crypto.Secret, error) {
	if v := strings.TrimSpace(e.getenv("KPNODE_TOKEN")); v != "" {
		return crypto.Secret(v), nil
	}
	if path := e.getenv("KPNODE_TOKEN_FILE"); path != "" {
		return crypto.ReadSecretFile(path)
	}
	return h.ReadToken()
}

// requestTimeout bounds a request to the daemon, answer included.
const requestTimeout = 2 * time.Minute

// importTimeout bounds an upload that the daemon imports before it
// answers (records, a valuation table): the daemon allows the import
// api.ImportWindow and then a minute for the answer, so the client waits
// a little longer than both instead of calling a slow import unreachable.
const importTimeout = api.ImportWindow + 2*time.Minute

// forImport returns a copy of c whose requests may take importTimeout.
func (c *client) forImport() *client {
	slow := *c
	slow.http = &http.Client{Timeout: importTimeout}
	return &slow
}

func homeError(err error, dir string) error {
	if errors.Is(err, home.ErrNotInitialised) {
		return withHint(err, fmt.Sprintf("create it with: kpnode init --participant CODE --name NAME --home %s", dir))
	}
	return err
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *client) do(e *env, method, path string, body []byte, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	return c.doReader(e, method, path, r, out)
}

// doReader is do with the body read from r.
func (c *client) doReader(e *env, method, path string, body io.Reader, out any) error {
	return c.doTyped(e, method, path, "application/json", body, out)
}

// doTyped is doReader with the body's content type.
func (c *client) doTyped(e *env, method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(e.ctx, method, c.base()+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+string(c.token.Reveal()))
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return apiFailure(resp)
	}
	return decodeInto(resp.Body, out)
}

func decodeInto(r io.Reader, out any) error {
	switch v := out.(type) {
	case nil:
		return nil
	case *[]byte:
		b, err := io.ReadAll(r)
		*v = b
		return err
	case io.Writer: // a download, streamed (attachments)
		_, err := io.Copy(v, r)
		return err
	default:
		if err := json.NewDecoder(r).Decode(out); err != nil {
			return fmt.Errorf("decode API answer: %w", err)
		}
		return nil
	}
}

// base is the daemon's API URL, read at each request: a daemon started with
// port 0 records its address only once it listens.
func (c *client) base() string { return "http://" + c.home.APIAddr(c.cfg) }

func (c *client) unreachable(err error) error {
	if errors.Is(err, errRefused) || strings.Contains(err.Error(), "connection refused") {
		return &cliError{code: ExitUnreachable,
			err:  fmt.Errorf("cannot reach the node at %s: is it running?", c.base()),
			hint: "start it with: kpnode run --home " + c.home.Dir}
	}
	return &cliError{code: ExitUnreachable, err: fmt.Errorf("cannot reach the node at %s: %w", c.base(), err)}
}

// apiFailure turns an API error answer into an error naming each bad field.
func apiFailure(resp *http.Response) error {
	var body struct {
		Error api.Error `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(raw, &body); err != nil || body.Error.Message == "" {
		return fmt.Errorf("node answered %s", resp.Status)
	}
	msg := body.Error.Message
	if len(body.Error.Rows) > 0 {
		return &cliError{code: ExitFailure, err: errors.New(rowsMessage(msg, body.Error.Rows))}
	}
	if len(body.Error.Fields) > 0 {
		var b strings.Builder
		b.WriteString(msg)
		for _, f := range body.Error.Fields {
			fmt.Fprintf(&b, "\n  %s: %s", cmp.Or(f.Field, "(document)"), f.Reason)
		}
		msg = b.String()
	}
	return &cliError{code: ExitFailure, err: errors.New(msg)}
}

// rowsMessage lists a file's bad rows, one per line, as file:row:column.
func rowsMessage(msg string, rows []tabular.RowError) string {
	var b strings.Builder
	b.WriteString(msg)
	for _, r := range rows {
		fmt.Fprintf(&b, "\n  %s", r.Error())
	}
	return b.String()
}
