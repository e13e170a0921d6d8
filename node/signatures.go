package node

import (
	"context"
	"fmt"
)

// reasonBadSignature is the refused-entry reason of an entry taken out of
// its feed because its own signature fails, or because it follows one
// that does ([Node.quarantineBadSignatures]).
const reasonBadSignature = "bad_signature"

// quarantineBadSignatures runs once per store written by a kpnode before
// issue 13, which stored the inner entries of a sync frame on a later
// entry's signature: every entry is checked on its own signature, and a
// partner's feed holding one that fails is cut back to the entry before
// it. The entries taken out (the bad one and those chained after it,
// which can never follow a valid entry) are kept as refused entries with
// reason bad_signature: nothing is deleted, and what the feed's author
// signed properly after can come again from partners once it is
// re-signed. This node's own feed is never cut (a restored node must not
// fork it): a bad entry there is logged and left to kpnode verify.
func (n *Node) quarantineBadSignatures(ctx context.Context) error {
	done, err := n.st.SignaturesChecked()
	if err != nil || done {
		return err
	}
	bad, err := n.st.BadSignatures(ctx)
	if err != nil {
		return err
	}
	for feed, seq := range bad {
		code, _ := n.roster.Snapshot().FeedCode(feed)
		if feed == n.id.Public() {
			n.log.Error("an entry of this node's own feed fails its signature: run kpnode verify", "seq", seq)
			continue
		}
		taken, err := n.st.TruncateFeed(feed, seq-1, reasonBadSignature)
		if err != nil {
			return fmt.Errorf("take entries that fail their signature out of feed %s: %w", feed.Fingerprint(), err)
		}
		n.counters.add("rejected_bad_signature_stored", uint64(taken))
		n.log.Error("entries stored by an earlier kpnode fail their own signature (or follow one that does): taken out of the feed and kept as evidence",
			"feed", code, "fingerprint", feed.Fingerprint(), "seq", seq, "count", taken)
	}
	return n.st.MarkSignaturesChecked()
}
