package testnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/kpnode/kpnode/home"
)

// client talks to one member's local API.
type client struct {
	base  string // http://127.0.0.1:PORT
	token string
	http  *http.Client
}

// errAPI wraps an error answer of a node's API.
type errAPI struct {
	Status int
	Body   string
}

func (e *errAPI) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.TrimSpace(e.Body))
}

// newClient returns a client of member m's API.
func newClient(m *Member, timeout time.Duration) (*client, error) {
	tok, err := os.ReadFile(home.Home{Dir: m.Home}.TokenPath())
	if err != nil {
		return nil, fmt.Errorf("read API token of %s: %w", m.Code, err)
	}
	return &client{base: "http://" + m.API(), token: strings.TrimSpace(string(tok)),
		http: &http.Client{Timeout: timeout}}, nil
}

// do sends a request with an optional body and decodes a JSON answer
// into out (when not nil). Non-2xx answers are *errAPI.
func (c *client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &errAPI{Status: resp.StatusCode, Body: string(b)}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = b
		return nil
	}
	return json.Unmarshal(b, out)
}

// isRefusal reports whether err is an answer of the node refusing the
// request (4xx), as opposed to the node being unreachable or failing.
func isRefusal(err error) bool {
	var e *errAPI
	return errors.As(err, &e) && e.Status/100 == 4
}
