package node

import (
	"github.com/kpnode/kpnode/blob"
	"github.com/libp2p/go-libp2p/core/peer"
)

// AttachmentState is how much of one file of a record this node holds,
// and where the rest would come from: what the dashboard's record page
// says of each file while it travels.
type AttachmentState struct {
	Name string `json:"name"`
	// Item is, in a batch entry, the index (from 0) of the item that
	// carries the file: with the name, what opens it.
	Item *int  `json:"item,omitempty"`
	Size int64 `json:"size"`
	// Held is set once every chunk is held here: the file opens without
	// asking a partner.
	Held bool `json:"held"`
	// Eager is set for a file fetched without being asked (at most
	// attachment_eager_mb), retried every minute until held; a larger
	// one is fetched when someone opens it.
	Eager bool `json:"eager"`
	// From lists, for a file not held, the connected partners a fetch
	// would ask now, the record's author first. Empty for a file not held:
	// no partner is connected to fetch it from, so a fetch fails until one
	// is.
	From []string `json:"from"`
}

// AttachmentStates returns the state of each file of record seq of feed,
// in the record's order.
func (n *Node) AttachmentStates(feed string, seq uint64) ([]AttachmentState, error) {
	rv, err := n.Record(feed, seq)
	if err != nil {
		return nil, err
	}
	parsed, err := parseRecord(rv.Type, rv.Record)
	if err != nil {
		return nil, err
	}
	out := []AttachmentState{}
	for _, f := range recordFiles(parsed.top) {
		id, _ := blob.ParseID(f.Blob)
		held, err := n.st.BlobComplete(id)
		if err != nil {
			return nil, err
		}
		s := AttachmentState{Name: f.Name, Item: f.Item, Size: f.Size, Held: held, Eager: f.Size <= n.cfg.attachmentEager(), From: []string{}}
		if !held {
			s.From = n.partnerCodes(n.blobSources(id, ""))
		}
		out = append(out, s)
	}
	return out, nil
}

// partnerCodes returns the participant codes of partners ps, in order.
func (n *Node) partnerCodes(ps []peer.ID) []string {
	snap := n.roster.Snapshot()
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if code, ok := snap.PartnerByPeer(p); ok {
			out = append(out, code)
		}
	}
	return out
}
