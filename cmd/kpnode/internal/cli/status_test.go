package cli

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node"
)

func TestPrintStatus(t *testing.T) {
	now := time.Now()
	s := node.Status{Participant: "IN", Name: "India KP Authority", Started: now.Add(-time.Hour),
		Partners: []node.PartnerStatus{
			{Code: "AE", Connected: true, LastContact: now.Add(-90 * time.Second), TheirHead: 7, OurCopy: 7,
				OurHead: 1500, Receipt: 1500},
			{Code: "BE", LastContact: now.Add(-26 * time.Hour), TheirHead: 40, OurCopy: 12, OurHead: 1500,
				Receipt: 300, Undelivered: 1200, OldestUndelivered: now.Add(-3 * time.Hour), Stalled: true, UnreachableSince: now.Add(-2 * time.Hour),
				LastSync: now.Add(-5 * time.Second), LastSyncError: "open sync stream: connection refused"},
			{Code: "ZA", OurHead: 1500, Undelivered: 1500, OldestUndelivered: now.Add(-10 * time.Minute)},
			{Code: "CN", PeerScore: node.PeerScore{Score: -1210, InvalidMessages: 11}, CoolOffUntil: now.Add(9*time.Minute + 30*time.Second), Graylisted: 1},
			{Code: "RU", PeerScore: node.PeerScore{Score: -250, SyncAbuse: 250}},
			{Code: "NA", Connected: true, Relayed: true, OurHead: 1500, Receipt: 1500},
		},
		Counters: map[string]uint64{"entries_published": 1500, "entries_received": 19,
			"rejected_malformed": 2, "rejected_equivocation": 1, "sync_failed": 4},
		Equivocations: []node.EquivocationReport{{Feed: "BE", Seq: 9, Seen: now}},
		Attachments:   node.AttachmentsStatus{Pending: 2, PendingBytes: 48 << 20, PendingHeldBytes: 1 << 20, ChunksFetched: 30, ChunksServed: 4, BytesHeld: 3 << 19},
	}
	var out bytes.Buffer
	if err := printStatus(&env{Stdio: Stdio{Out: &out}}, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^PARTNER +LINK +LAST CONTACT +THEIR FEED +OUR FEED +UNDELIVERED +DELIVERY$`,
		`(?m)^AE +connected +1m ago +7/7 +1500/1500 +0 +up to date$`,
		`(?m)^BE +not connected +26h ago +12/40 +300/1500 +1200 \(oldest 3h\) +STALLED$`,
		`(?m)^ZA +not connected +never +0/0 +0/1500 +1500 \(oldest 10m\) +behind$`,
		`(?m)^NA +relayed +never +0/0 +1500/1500 +0 +up to date$`,
		`(?m)^  BE: last sync 5s ago failed: open sync stream: connection refused$`,
		`(?m)^  BE: delivery stalled: see "Delivery status" in docs/operations.md$`,
		`(?m)^  BE: unreachable for 2h; the node log names the addresses tried \(see "Unreachable partners" in docs/operations.md\)$`,
		`(?m)^Since start: 1500 published, 19 received, 3 rejected \(equivocation 1, malformed 2\)$`,
		`(?m)^  failed sync sessions 4$`,
		`(?m)^  CN: GRAYLISTED \(score -1210\): disconnected and refused for 9m more; see "Graylisted partners" in docs/operations.md$`,
		`(?m)^  RU: peer score -250 \(invalid pushes 0, sync abuse 250 points\)$`,
		`(?m)^Equivocations \(1\)`,
		`(?m)^  attachments  2 file\(s\) still to fetch \(1\.0 of 48\.0 MiB held\); 30 chunks fetched, 4 served since start; 1\.5 MiB held$`,
		`(?m)^BE +9 +000000000000 +000000000000 `,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("status lacks %s:\n%s", want, out.String())
		}
	}
	if regexp.MustCompile(`(?m)^  (AE|ZA): `).MatchString(out.String()) {
		t.Errorf("a note for a partner without errors:\n%s", out.String())
	}
}
