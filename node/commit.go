package node

import (
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// announce makes a durable own entry known: the log, counters, the event
// stream and the push to partners.
func (n *Node) announce(e *protocol.Entry) {
	n.log.Info("entry published", "feed", n.cfg.Participant, "seq", e.Seq, "type", e.Type,
		"size", len(e.Bytes()), "audience", strings.Join(e.Audience, ","))
	n.counters.add("entries_published", 1)
	n.events.emit("entry_published", map[string]any{"seq": e.Seq, "type": e.Type, "hash": e.Hash().String()})
	n.ex.Push(e)
}
