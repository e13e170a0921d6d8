package api

import (
	"crypto/subtle"
	"errors"
	"os"
	"sync"

	"github.com/kpnode/kpnode/crypto"
)

// nodeToken is the node's own bearer token (api.token in the home), for
// the local CLI. Read from a file, it follows the file: a token rewritten
// by hand or by kpnode token rotate is the only one accepted from the next
// request on, and a missing or unreadable file accepts none.
type nodeToken struct {
	path string // "" for a fixed token

	mu     sync.Mutex    // guards secret and stat
	secret crypto.Secret // the token the file held at stat
	stat   os.FileInfo   // the file when it was last read
}

// errNoTokenFile is returned by rotate for a token not read from a file.
var errNoTokenFile = errors.New("the node's token is not read from a file")

func fixedToken(s crypto.Secret) *nodeToken { return &nodeToken{secret: s} }

// tokenFile follows the token in the file at path.
func tokenFile(path string) (*nodeToken, error) {
	t := &nodeToken{path: path}
	if _, err := t.current(); err != nil {
		return nil, err
	}
	return t, nil
}

// matches reports, in constant time, whether tok is the node's token now.
func (t *nodeToken) matches(tok string) bool {
	want, err := t.current()
	return err == nil && len(want) > 0 && subtle.ConstantTimeCompare([]byte(tok), want.Reveal()) == 1
}

// current returns the token, reading the file again when it changed
// (another inode, size or modification time) since it was last read.
func (t *nodeToken) current() (crypto.Secret, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.path == "" {
		return t.secret, nil
	}
	fi, err := os.Stat(t.path)
	if err != nil {
		t.secret, t.stat = nil, nil
		return nil, err
	}
	if t.stat != nil && os.SameFile(fi, t.stat) && fi.Size() == t.stat.Size() && fi.ModTime().Equal(t.stat.ModTime()) {
		return t.secret, nil
	}
	s, err := crypto.ReadSecretFile(t.path)
	if err != nil {
		t.secret, t.stat = nil, nil
		return nil, err
	}
	t.secret, t.stat = s, fi
	return s, nil
}

// rotate writes a new random token to the file; the old one is refused
// from now on.
func (t *nodeToken) rotate() error {
	if t.path == "" {
		return errNoTokenFile
	}
	s, err := crypto.NewToken()
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := crypto.ReplaceSecretFile(t.path, s); err != nil {
		return err
	}
	fi, err := os.Stat(t.path)
	if err != nil {
		t.secret, t.stat = nil, nil
		return err
	}
	t.secret, t.stat = s, fi
	return nil
}
