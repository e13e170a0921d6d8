package node

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kpnode/kpnode/protocol"
)

// AcknowledgeNotice publishes this node's acknowledgement of a partner's
// notice (feed, seq) to the notice's author, with optional remarks, as the
// KP's notice procedure asks of recipients.
func (n *Node) AcknowledgeNotice(ctx context.Context, feed string, seq uint64, remarks string) (Published, error) {
	if err := n.own.CheckAppend(); err != nil {
		return Published{}, err
	}
	if feed == n.cfg.Participant {
		return Published{}, fmt.Errorf("%w: %s/%d is this node's own notice", ErrInvalidRequest, feed, seq)
	}
	rv, err := n.Record(feed, seq)
	if err != nil {
		return Published{}, fmt.Errorf("acknowledge notice %s/%d: %w", feed, seq, err)
	}
	if rv.Type != protocol.NoticeType {
		return Published{}, fmt.Errorf("%w: %s/%d is a %s, not a notice", ErrInvalidRequest, feed, seq, rv.Type)
	}
	ack := protocol.Acknowledgement{Version: 1, Of: protocol.EntryRef{Feed: feed, Seq: seq},
		Received: protocol.DateOf(rv.Time), Remarks: remarks}
	body, err := json.Marshal(ack)
	if err != nil {
		return Published{}, err
	}
	return n.Publish(ctx, protocol.AcknowledgementType, body, []string{feed})
}
