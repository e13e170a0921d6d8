package main

import (
	"testing"
	"time"
)

// catchUpEntries is how many entries IN appends while BE is down.
const catchUpEntries = 1500

// TestCatchUpAfterSIGKILL runs two real daemons pinned to each other. BE
// is stopped while IN appends catchUpEntries notices to it; BE restarts,
// is killed with SIGKILL part-way through catching up, restarts again and
// must end with IN's whole feed, verified, while IN sees BE's receipt of
// all of it.
//
// Each daemon listens on a fixed loopback port chosen by the test, so both
// cards stay true across restarts. What reconnects them quickly is the
// restarted BE dialling IN at once (its dialer starts afresh); IN redialling
// BE's unchanged address on its backoff (up to a minute) is the slower,
// second path. No address override is needed.
func TestCatchUpAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons and appends 1500 entries; skipped in -short mode")
	}
	dir, in, be := initPair(t)
	inListen, beListen := loopbackListen(t), loopbackListen(t)
	startDaemonOn(t, in, inListen)
	bed := startDaemonOn(t, be, beListen)
	pinEachOther(t, dir, in, be)
	inAPI := newAPIClient(t, in)
	poll(t, 30*time.Second, "IN connected to BE", func() bool { return partnerOf(t, inAPI, "BE").Connected })

	bed.stop()
	start := time.Now()
	publishNotices(t, inAPI, "BE", catchUpEntries)
	t.Logf("IN appended %d entries in %s while BE was down", catchUpEntries, time.Since(start).Round(time.Millisecond))

	bed = startDaemonOn(t, be, beListen)
	beAPI := newAPIClient(t, be)
	var held uint64
	poll(t, 30*time.Second, "BE holds 300 of IN's entries", func() bool { held = heldOf(t, beAPI, "IN"); return held >= 300 })
	bed.kill()
	t.Logf("SIGKILL with %d of %d entries held", held, catchUpEntries)
	if held >= catchUpEntries {
		t.Logf("BE had caught up before the kill; the restart below still checks recovery")
	}
	kpnode(t, "verify", "--home", be) // the store is sound after SIGKILL

	start = time.Now()
	bed = startDaemonOn(t, be, beListen)
	beAPI = newAPIClient(t, be)
	poll(t, 120*time.Second, "BE holds all of IN's entries", func() bool { return heldOf(t, beAPI, "IN") == catchUpEntries })
	t.Logf("BE caught up after its restart in %s", time.Since(start).Round(time.Millisecond))
	checkFeed(t, beAPI, "IN", catchUpEntries)
	poll(t, 60*time.Second, "IN has BE's receipt of its whole feed", func() bool {
		p := partnerOf(t, inAPI, "BE")
		return p.Receipt == catchUpEntries && p.Undelivered == 0 && p.OurHead == catchUpEntries
	})
	bed.stop()
	kpnode(t, "verify", "--home", be)
}
