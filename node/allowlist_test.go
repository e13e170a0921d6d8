package node

import (
	"github.com/kpnode/kpnode/node/internal/exchange"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	ma "github.com/multiformats/go-multiaddr"
)

// TestAllowlistFollowsPartners: the resource manager's allowlist holds a
// partner's card addresses for its peer only, follows the operator's
// override and the addresses the partner connects from, and forgets the
// partner when it is removed; its connections are protected meanwhile.
func TestAllowlistFollowsPartners(t *testing.T) {
	in := testNode(t, "IN")
	id := cardWithAddrs(t, in, "BE", "/ip4/192.0.2.1/tcp/4101", "/dns4/kp.example/tcp/4101")
	pid, err := peer.Decode(id.PeerID())
	if err != nil {
		t.Fatal(err)
	}
	h := in.ex.Host()
	al := rcmgr.GetAllowlist(h.Network().ResourceManager())
	admits := func(ip string) bool { return al.AllowedPeerAndMultiaddr(pid, ma.StringCast(ip+"/tcp/1")) }
	entry := func(ip string) string { return ip + "/p2p/" + pid.String() }

	wantEntries(t, in, entry("/ip4/192.0.2.1"))
	if !admits("/ip4/192.0.2.1") || al.AllowedPeerAndMultiaddr(in.ex.Host().ID(), ma.StringCast("/ip4/192.0.2.1/tcp/1")) {
		t.Fatal("the card's address is not allowlisted for the partner alone")
	}
	if !h.ConnManager().IsProtected(pid, exchange.PartnerTag) {
		t.Fatal("the partner's connections are not protected")
	}

	if _, err := in.SetPartnerAddrs("BE", []string{"/ip6/2001:db8::7/udp/4101/quic-v1"}); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, in, entry("/ip6/2001:db8::7"))
	if admits("/ip4/192.0.2.1") {
		t.Fatal("the partner's old address stays allowlisted after the override")
	}

	in.ex.ObserveAddr(pid, ma.StringCast("/ip4/198.51.100.9/tcp/50123"))
	wantEntries(t, in, entry("/ip4/198.51.100.9"), entry("/ip6/2001:db8::7"))

	if err := in.RemovePartner("BE"); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, in)
	if admits("/ip6/2001:db8::7") || admits("/ip4/198.51.100.9") || h.ConnManager().IsProtected(pid, exchange.PartnerTag) {
		t.Fatal("a removed partner stays allowlisted or protected")
	}
	in.ex.ObserveAddr(pid, ma.StringCast("/ip4/198.51.100.9/tcp/50123"))
	wantEntries(t, in) // a connection of a peer no longer pinned adds nothing
}

// cardWithAddrs pins on n the card of a new identity for code, naming
// addrs; no node runs behind it.
func cardWithAddrs(t *testing.T, n *Node, code string, addrs ...string) *crypto.Identity {
	t.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := protocol.SignCard(protocol.Card{Version: 1, Code: code, Name: "Authority " + code, PeerID: id.PeerID(),
		AgeRecipient: id.Recipient().String(), Addrs: addrs, Created: time.Now().UTC().Truncate(time.Second)}, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddPartner(sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	return id
}

func wantEntries(t *testing.T, n *Node, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := n.ex.AllowlistEntries(); !slices.Equal(got, want) {
		t.Fatalf("allowlist %v, want %v", got, want)
	}
}
