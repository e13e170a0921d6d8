package exchange

import (
	"net"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Gossipsub score thresholds. Every node's peers are pinned partners, tens
// of them, so the thresholds are set in invalid messages rather than
// against Sybils: with an invalid-delivery weight of -10 (squared
// counter), 4 invalid messages put a partner under the gossip threshold, 8
// under the publish threshold and 11 under the graylist threshold (a few
// more if it earned the bonus of first deliveries, capped at +100).
// docs/security.md explains the choice.
const (
	gossipThreshold   = -100.0
	publishThreshold  = -500.0
	graylistThreshold = -1000.0
)

// Score bookkeeping.
const (
	// scoreInspectPeriod is how often the node reads the scores to report
	// them and act on graylisting.
	scoreInspectPeriod = time.Second
	// graylistCoolOff is how long a graylisted partner stays disconnected
	// and refused; it is renewed while the score stays under the graylist
	// threshold.
	graylistCoolOff = 10 * time.Minute
	// scoreRetain keeps a disconnected peer's score, so that reconnecting
	// does not wash it.
	scoreRetain = time.Hour
)

// scoring is what a node's gossipsub router needs to score peers: the
// application-specific score and the inspector of scores.
type scoring struct {
	appScore func(peer.ID) float64
	inspect  pubsub.ExtendedPeerScoreInspectFn
}

func (sc *scoring) options() []pubsub.Option {
	return []pubsub.Option{
		pubsub.WithPeerScore(scoreParams(sc.appScore), scoreThresholds()),
		pubsub.WithPeerScoreInspect(sc.inspect, scoreInspectPeriod),
	}
}

// scoreParams are the peer score parameters of a node; appScore is the
// application-specific score (sync abuse). Per-topic parameters are set
// as each feed topic is joined (feedTopicScore).
func scoreParams(appScore func(peer.ID) float64) *pubsub.PeerScoreParams {
	return &pubsub.PeerScoreParams{
		SkipAtomicValidation:        true,
		Topics:                      map[string]*pubsub.TopicScoreParams{},
		TopicScoreCap:               100,
		AppSpecificScore:            appScore,
		AppSpecificWeight:           1,
		IPColocationFactorWeight:    -10,
		IPColocationFactorThreshold: 4,
		IPColocationFactorWhitelist: privateNets(),
		BehaviourPenaltyWeight:      -10,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       pubsub.ScoreParameterDecay(10 * time.Minute),
		DecayInterval:               pubsub.DefaultDecayInterval,
		DecayToZero:                 pubsub.DefaultDecayToZero,
		RetainScore:                 scoreRetain,
	}
}

// scoreThresholds are the node's gossipsub thresholds.
func scoreThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold:             gossipThreshold,
		PublishThreshold:            publishThreshold,
		GraylistThreshold:           graylistThreshold,
		AcceptPXThreshold:           0, // peer exchange is off
		OpportunisticGraftThreshold: 1,
	}
}

// feedTopicScore scores a feed topic: a small bonus for first deliveries
// of valid entries, and a heavy, slowly forgiven penalty for invalid ones
// (validators reject only provably bad input: see Service.verdict). Mesh
// delivery rates are not scored: a feed is quiet for hours at a time.
func feedTopicScore() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		SkipAtomicValidation:           true,
		TopicWeight:                    1,
		TimeInMeshQuantum:              time.Second, // unscored (weight 0), but pubsub divides by it for peers in the mesh
		FirstMessageDeliveriesWeight:   1,
		FirstMessageDeliveriesDecay:    pubsub.ScoreParameterDecay(time.Hour),
		FirstMessageDeliveriesCap:      50,
		InvalidMessageDeliveriesWeight: -10,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(time.Hour),
	}
}

// privateNets are the networks whose shared addresses are not held
// against peers (IP colocation): testnets run many nodes behind one
// loopback or private address. Pinning, not addresses, admits partners.
func privateNets() []*net.IPNet {
	var out []*net.IPNet
	for _, cidr := range []string{"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7"} {
		_, n, err := net.ParseCIDR(cidr)
		if err == nil {
			out = append(out, n)
		}
	}
	return out
}

// PeerScore is what gossipsub's peer scoring holds against one partner, as
// last read (every second).
type PeerScore struct {
	// Score is the partner's gossipsub score: 0 is neutral, positive for
	// first deliveries of valid entries, negative for penalties.
	Score float64 `json:"score"`
	// InvalidMessages counts (decaying) the pushed entries the partner
	// delivered that the node rejected as forged or malformed.
	InvalidMessages float64 `json:"invalid_messages"`
	// SyncAbuse is the partner's sync abuse points (decaying): protocol
	// violations and stalled frames on sync streams.
	SyncAbuse float64 `json:"sync_abuse"`
	// Behaviour is gossipsub's penalty for protocol misbehaviour (GRAFT
	// floods, broken IWANT promises).
	Behaviour float64 `json:"behaviour"`
	// SyncViolations and SyncStalls count the sync sessions with the
	// partner that ended in a protocol violation or a stalled frame.
	SyncViolations uint64 `json:"sync_violations"`
	SyncStalls     uint64 `json:"sync_stalls"`
}

// scoreboard keeps the latest scores and the graylist cool-offs.
type scoreboard struct {
	mu         sync.Mutex // guards the fields below
	scores     map[peer.ID]PeerScore
	coolOff    map[peer.ID]time.Time // until when a graylisted partner is refused
	graylisted map[peer.ID]uint64    // times each partner was graylisted
	rounds     uint64                // updates so far
}

func newScoreboard() *scoreboard {
	return &scoreboard{scores: map[peer.ID]PeerScore{}, coolOff: map[peer.ID]time.Time{}, graylisted: map[peer.ID]uint64{}}
}

// coolingOff reports whether p is in a graylist cool-off at now.
func (b *scoreboard) coolingOff(p peer.ID, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return now.Before(b.coolOff[p])
}

// get returns p's latest score, its cool-off end and graylist count.
func (b *scoreboard) get(p peer.ID) (PeerScore, time.Time, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.scores[p], b.coolOff[p], b.graylisted[p]
}

// update records the scores and starts or renews the cool-off of every
// peer under the graylist threshold; it returns the peers that entered
// one.
func (b *scoreboard) update(scores map[peer.ID]PeerScore, now, until time.Time) []peer.ID {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rounds++
	var entered []peer.ID
	for p, s := range scores {
		b.scores[p] = s
		if s.Score >= graylistThreshold {
			continue
		}
		if !now.Before(b.coolOff[p]) {
			entered = append(entered, p)
			b.graylisted[p]++
		}
		b.coolOff[p] = until
	}
	return entered
}

// round counts the updates so far.
func (b *scoreboard) round() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rounds
}

func (b *scoreboard) forget(p peer.ID) {
	b.mu.Lock()
	delete(b.scores, p)
	delete(b.coolOff, p)
	delete(b.graylisted, p)
	b.mu.Unlock()
}

// inspectScores is gossipsub's score inspector (it runs on a goroutine of
// its own every scoreInspectPeriod). It records the scores of partners and
// cools off those under the graylist threshold.
func (n *Service) inspectScores(snap map[peer.ID]*pubsub.PeerScoreSnapshot) {
	if n.runCtx.Err() != nil {
		return
	}
	scores := make(map[peer.ID]PeerScore, len(snap))
	for p, s := range snap {
		if _, ok := n.roster.Snapshot().PartnerByPeer(p); !ok {
			continue
		}
		ps := PeerScore{Score: s.Score, SyncAbuse: 0 - s.AppSpecificScore, Behaviour: s.BehaviourPenalty}
		for _, ts := range s.Topics {
			ps.InvalidMessages += ts.InvalidMessageDeliveries
		}
		scores[p] = ps
	}
	now := n.now()
	for _, p := range n.scores.update(scores, now, now.Add(n.coolOff)) {
		n.graylist(p, scores[p])
	}
}

// graylist acts on a partner that fell under the graylist threshold:
// beyond gossipsub ignoring it, the node closes its connections and
// refuses it (no gossip, no sync either way) until the cool-off ends. The
// partner stays pinned: only an operator removes a partner.
func (n *Service) graylist(p peer.ID, s PeerScore) {
	code, _ := n.roster.Snapshot().PartnerByPeer(p)
	n.count("partners_graylisted", 1)
	n.log.Warn("partner graylisted: disconnected and refused for a cool-off", "partner", code, "peer", p,
		"score", s.Score, "invalid_messages", s.InvalidMessages, "sync_abuse", s.SyncAbuse, "cool_off", n.coolOff)
	n.emit("partner_graylisted", map[string]any{"partner": code, "score": s.Score,
		"invalid_messages": s.InvalidMessages, "sync_abuse": s.SyncAbuse, "cool_off_seconds": n.coolOff.Seconds()})
	_ = n.host.Network().ClosePeer(p)
}
