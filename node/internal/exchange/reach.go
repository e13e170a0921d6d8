package exchange

import (
	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// reachPartners are the partners as package reach sees them: the
// roster's peers, admitted while pinned, not paused and not cooling off
// (the gater's), and none before Start, so that AutoRelay dials nobody
// while the node is only built (nothing connects before Start).
type reachPartners struct{ s *Service }

func (r reachPartners) Peers() []peer.ID {
	if !r.s.started.Load() {
		return nil
	}
	return r.s.roster.Snapshot().Peers()
}

func (r reachPartners) Admits(p peer.ID) bool { return r.s.started.Load() && r.s.admitted(p) }

// Partners returns the partners as package reach takes them (the relay's
// ACL, AutoRelay, circuit addresses, the unreachable partners' watch).
func (s *Service) Partners() reach.Partners { return reachPartners{s} }

// buildHost builds the host with the node's further options
// (Config.HostOptions), given the partners as this service admits them.
func (s *Service) buildHost() (host.Host, error) {
	var extra []libp2p.Option
	if s.cfg.HostOptions != nil {
		var err error
		if extra, err = s.cfg.HostOptions(reachPartners{s}); err != nil {
			return nil, err
		}
	}
	return newHost(s.id, s.gater, s.allow, s.cfg.UserAgent, extra)
}
