package node

import (
	"context"
	"testing"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/store"
)

// fixture is a node on a disk store that a test can stop and start again
// with the same identity, as an operator restarts a daemon.
type fixture struct {
	t     *testing.T
	code  string
	id    *crypto.Identity
	dir   string
	st    *store.Store
	n     *Node
	card  []byte // the card of the last run
	card0 []byte // a card a test keeps from an earlier run
	// retired are identities this node used before id (after a rotation).
	retired []*crypto.Identity
	// configure, when set, changes the configuration of every start.
	configure func(*Config)
}

func newFixture(t *testing.T, code string) *fixture {
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, code: code, id: id, dir: t.TempDir()}
	t.Cleanup(f.stop)
	return f
}

// start opens the store and starts the node.
func (f *fixture) start() *Node {
	f.t.Helper()
	st, err := store.Open(store.Options{Dir: f.dir})
	if err != nil {
		f.t.Fatal(err)
	}
	cfg := DefaultConfig(f.code, "Authority "+f.code)
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	if f.configure != nil {
		f.configure(&cfg)
	}
	n, err := New(cfg, f.id, st, nil)
	if err == nil {
		n.SetRetiredIdentities(f.retired)
		err = n.Start(context.Background())
	}
	if err != nil {
		st.Close()
		f.t.Fatal(err)
	}
	c, _ := n.Card()
	f.st, f.n, f.card = st, n, c.Bytes()
	return n
}

// stop closes the node and its store; it is a no-op when stopped.
func (f *fixture) stop() {
	if f.n == nil {
		return
	}
	f.n.Close()
	f.st.Close()
	f.n, f.st = nil, nil
}

// pinBoth makes the running fixtures partners of each other.
func pinBoth(t *testing.T, a, b *fixture) {
	t.Helper()
	if _, err := a.n.AddPartner(b.card); err != nil {
		t.Fatal(err)
	}
	if _, err := b.n.AddPartner(a.card); err != nil {
		t.Fatal(err)
	}
}
