package node

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// historyInterval is how often the delivery history is sampled, and
// historyLen how many samples it keeps per partner (one hour).
const (
	historyInterval = 10 * time.Second
	historyLen      = 360
)

// DeliverySample is one partner's delivery state at one time.
type DeliverySample struct {
	Time time.Time `json:"time"`
	// Undelivered counts our entries the partner has not receipted.
	Undelivered uint64 `json:"undelivered"`
	// Behind counts entries of the partner's feed this node lacks.
	Behind    uint64 `json:"behind"`
	Connected bool   `json:"connected"`
}

// DeliveryHistory is the recent delivery state of every partner, oldest
// sample first.
type DeliveryHistory struct {
	IntervalSeconds int                         `json:"interval_seconds"`
	Partners        map[string][]DeliverySample `json:"partners"`
}

// history keeps a bounded series of delivery samples per partner and the
// stalled flag each had at the last sample.
type history struct {
	mu      sync.Mutex // guards the fields below
	series  map[string][]DeliverySample
	stalled map[string]bool
}

func newHistory() *history {
	return &history{series: map[string][]DeliverySample{}, stalled: map[string]bool{}}
}

// DeliveryHistory returns the delivery samples of the last hour.
func (n *Node) DeliveryHistory() DeliveryHistory {
	n.history.mu.Lock()
	defer n.history.mu.Unlock()
	out := DeliveryHistory{IntervalSeconds: int(historyInterval / time.Second), Partners: map[string][]DeliverySample{}}
	for code, s := range n.history.series {
		out.Partners[code] = append([]DeliverySample(nil), s...)
	}
	return out
}

// sampler records a delivery sample and raises the questionnaires'
// overdue reminders every historyInterval until the node stops.
func (n *Node) sampler() {
	t := time.NewTicker(historyInterval)
	defer t.Stop()
	for {
		n.sampleDelivery()
		if err := n.remindOverdue(); err != nil {
			n.log.Warn("questionnaire reminders", "err", err)
		}
		select {
		case <-n.runCtx.Done():
			return
		case <-t.C:
		}
	}
}

// observeLags records each partner's undelivered count, from which the
// next status reads since when it has not shrunk (stalled).
func (n *Node) observeLags(ps []PartnerStatus) {
	partners, err := n.Partners()
	if err != nil {
		return
	}
	peers := make(map[string]peer.ID, len(partners))
	for _, p := range partners {
		if id, err := peer.Decode(p.PeerID); err == nil {
			peers[p.Code] = id
		}
	}
	now := n.now()
	for _, p := range ps {
		if id, ok := peers[p.Code]; ok {
			n.ex.ObserveLag(id, p.Undelivered, now)
		}
	}
}

// sampleDelivery appends one sample per partner and reports partners
// whose sync stalled or recovered as events.
func (n *Node) sampleDelivery() {
	s, err := n.Status()
	if err != nil {
		n.log.Warn("sample delivery status", "err", err)
		return
	}
	n.observeLags(s.Partners)
	n.history.mu.Lock()
	defer n.history.mu.Unlock()
	live := map[string]bool{}
	for _, p := range s.Partners {
		live[p.Code] = true
		smp := DeliverySample{Time: n.now().UTC().Truncate(time.Second), Undelivered: p.Undelivered,
			Behind: p.Behind(), Connected: p.Connected}
		ser := append(n.history.series[p.Code], smp)
		n.history.series[p.Code] = ser[max(0, len(ser)-historyLen):]
		if p.Stalled != n.history.stalled[p.Code] {
			n.history.stalled[p.Code] = p.Stalled
			kind := map[bool]string{true: "sync_stalled", false: "sync_recovered"}[p.Stalled]
			n.events.emit(kind, map[string]any{"partner": p.Code, "undelivered": p.Undelivered})
		}
	}
	for code := range n.history.series {
		if !live[code] {
			delete(n.history.series, code)
			delete(n.history.stalled, code)
		}
	}
}
