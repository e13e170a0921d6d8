package node

import (
	"context"
	"flag"
	"testing"
	"time"
)

var relayN = flag.Int("relay.n", 200, "entries AE publishes to ZA in BenchmarkRelayedDelivery")

// BenchmarkRelayedDelivery times, in the same run, the delivery of
// relay.n 1 KiB entries from AE to ZA until AE holds ZA's receipt of the
// last, between BE, AE and ZA all pinned to each other: once with AE and
// ZA on loopback addresses (direct: gossip pushes, sync fills in), once
// with AE and ZA listening on nothing (behind NAT: sync over a circuit
// through BE's relay, and ZA's pulls of AE's feed from BE). Set-up
// (nodes, pins, the first connection) is not timed. It reports each in ms
// and relayed/direct.
func BenchmarkRelayedDelivery(b *testing.B) {
	body := record1KiBBy(b, "AE")
	var direct, relayed time.Duration
	for range b.N {
		direct += timeDelivery(b, body, nil)
		relayed += timeDelivery(b, body, listenNothing)
	}
	b.ReportMetric(float64(direct.Milliseconds())/float64(b.N), "direct_ms")
	b.ReportMetric(float64(relayed.Milliseconds())/float64(b.N), "relayed_ms")
	b.ReportMetric(float64(relayed)/float64(direct), "relayed/direct")
}

// timeDelivery sets up BE, AE and ZA (AE and ZA configured by configure) and times
// AE's publishing of relay.n entries to ZA until ZA's receipt of the last.
func timeDelivery(b *testing.B, body []byte, configure func(*Config)) time.Duration {
	b.StopTimer()
	be := testNode(b, "BE")
	ae, za := testNodeConfig(b, "AE", configure, nil), testNodeConfig(b, "ZA", configure, nil)
	nodes := []*Node{be, ae, za}
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	for _, x := range nodes {
		for _, y := range nodes {
			if x != y {
				pin(b, x, y)
			}
		}
	}
	eventually(b, time.Minute, "AE linked to ZA", func() error { return connectedPartner(ae, "ZA", true) })
	b.StartTimer()
	start := time.Now()
	for range *relayN {
		if _, err := ae.Publish(context.Background(), "notice", body, []string{"ZA"}); err != nil {
			b.Fatal(err)
		}
	}
	eventually(b, 5*time.Minute, "ZA's receipt", func() error { return delivered(ae, "ZA", uint64(*relayN)) })
	took := time.Since(start)
	b.StopTimer()
	return took
}
