package main

import (
	"testing"
	"time"
)

// TestPartnerAddrOverrideRedials restarts two pinned daemons on new ports,
// so that neither card's addresses lead anywhere, then checks that setting
// IN's address override of BE connects them at once, and again after IN
// restarts (the override is stored).
func TestPartnerAddrOverrideRedials(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons; skipped in -short mode")
	}
	dir, in, be := initPair(t)
	ind, bed := startDaemon(t, in), startDaemon(t, be)
	pinEachOther(t, dir, in, be)
	ind.stop()
	bed.stop()

	ind = startDaemon(t, in) // new ports: both cards are stale
	startDaemon(t, be)
	inAPI := newAPIClient(t, in)
	time.Sleep(2 * time.Second)
	if partnerOf(t, inAPI, "BE").Connected {
		t.Fatal("IN reached BE at a stale card address: the test proves nothing")
	}
	beAddr := status(t, newAPIClient(t, be)).Listen[0]
	kpnode(t, "partners", "addr", "BE", beAddr, "--home", in)
	start := time.Now()
	poll(t, 10*time.Second, "IN connected to BE at the override", func() bool { return partnerOf(t, inAPI, "BE").Connected })
	t.Logf("connected %s after the override was set", time.Since(start).Round(time.Millisecond))

	ind.stop()
	startDaemon(t, in)
	inAPI = newAPIClient(t, in)
	poll(t, 10*time.Second, "restarted IN connected to BE at the stored override", func() bool {
		return partnerOf(t, inAPI, "BE").Connected
	})
}
