package node

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// OfflineCard returns this node's card while no daemon runs, so that
// cards can be exchanged before the first run: the card the daemon
// signed at its last start when it is this key's, else one signed now
// with the announce addresses when set, else the addresses cfg's listen
// addresses will have (an unspecified IP stands for each of this
// machine's interface addresses) and the
// creation time kept in st, which the daemon's card then carries too.
// skipped lists the listen addresses left out: a port 0 is chosen only
// when the daemon starts.
func OfflineCard(cfg Config, id *crypto.Identity, st *store.Store, now time.Time) (sc *protocol.SignedCard, skipped []string, err error) {
	if b, err := st.GetMeta(metaCardSigned); err == nil {
		if sc, err := protocol.ParseCard(b); err == nil && sc.Card.PeerID == id.PeerID() {
			return sc, nil, nil
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("read signed card: %w", err)
	}
	addrs, skipped, err := cardAddrs(cfg)
	if err != nil {
		return nil, nil, err
	}
	created, err := offlineCardCreated(st, now)
	if err != nil {
		return nil, nil, err
	}
	c := protocol.Card{Version: 1, Code: cfg.Participant, Name: cfg.Name, PeerID: id.PeerID(),
		AgeRecipient: id.Recipient().String(), Addrs: addrs, Created: created}
	sc, err = protocol.SignCard(c, id)
	if err != nil {
		return nil, nil, fmt.Errorf("sign card: %w", err)
	}
	return sc, skipped, nil
}

// cardAddrs returns the addresses the daemon's card will carry: the
// announce setting when there is one (what the card and identify
// advertise, reach), else what cfg's listen addresses will be.
func cardAddrs(cfg Config) (addrs, skipped []string, err error) {
	if len(cfg.Announce) == 0 {
		return listenAddrs(cfg.Listen)
	}
	as, err := reach.ParseAnnounce(cfg.Announce)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range as {
		addrs = append(addrs, a.String())
	}
	return addrs, nil, nil
}

// offlineCardCreated returns the card's creation time kept in st, storing
// now (to the second) when there is none yet.
func offlineCardCreated(st *store.Store, now time.Time) (time.Time, error) {
	b, err := st.GetMeta(metaCardCreated)
	if err == nil {
		return time.Parse(time.RFC3339, string(b))
	}
	if !errors.Is(err, store.ErrNotFound) {
		return time.Time{}, fmt.Errorf("read card creation time: %w", err)
	}
	t := now.UTC().Truncate(time.Second)
	if err := st.PutMeta(metaCardCreated, []byte(t.Format(time.RFC3339))); err != nil {
		return time.Time{}, fmt.Errorf("store card creation time: %w", err)
	}
	return t, nil
}

// listenAddrs returns the addresses a host listening on listen will have,
// sorted as a signed card holds them, and the listen addresses left out
// because their port is 0.
func listenAddrs(listen []string) (addrs, skipped []string, err error) {
	var fixed []ma.Multiaddr
	for i, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, nil, fmt.Errorf("config listen[%d] %q: %w", i, s, err)
		}
		if anyPort(a) {
			skipped = append(skipped, s)
			continue
		}
		fixed = append(fixed, a)
	}
	ifaces, err := manet.InterfaceMultiaddrs()
	if err != nil {
		return nil, nil, fmt.Errorf("read interface addresses: %w", err)
	}
	resolved, err := manet.ResolveUnspecifiedAddresses(fixed, ifaces)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve listen addresses: %w", err)
	}
	for _, a := range resolved {
		addrs = append(addrs, a.String())
	}
	slices.Sort(addrs)
	return slices.Compact(addrs), skipped, nil
}

// anyPort reports whether a's TCP or UDP port is 0 (any free port).
func anyPort(a ma.Multiaddr) bool {
	for _, p := range []int{ma.P_TCP, ma.P_UDP} {
		if v, err := a.ValueForProtocol(p); err == nil && v == "0" {
			return true
		}
	}
	return false
}
