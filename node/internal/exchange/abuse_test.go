package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestClassifySyncError(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{io.EOF, ""},
		{errors.New("stream reset"), ""},
		{context.Canceled, ""},
		{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), "stall"},
		{fmt.Errorf("read frame: %w", protocol.ErrTooLarge), "violation"},
		{fmt.Errorf("read frame: %w: %w", protocol.ErrTruncated, io.ErrUnexpectedEOF), "violation"},
		{fmt.Errorf("%w: unexpected", errProtocol), "violation"},
		{fmt.Errorf("%w: entry 3", ErrRelayedForgery), "violation"},
		{errors.New("relayed entry 3 refused (equivocation)"), ""},
	} {
		if got := classifySyncError(c.err); got != c.want {
			t.Errorf("classifySyncError(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestAbusePointsDecay(t *testing.T) {
	now := time.Now()
	a := newAbuse(func() time.Time { return now })
	p := peer.ID("p")
	if a.score(p) != 0 {
		t.Fatal("an unknown peer has a score")
	}
	a.syncError(p, errProtocol)
	if got := a.score(p); got != -abuseViolation {
		t.Fatalf("score %v after one violation, want %v", got, -abuseViolation)
	}
	now = now.Add(abuseHalfLife)
	if got := a.score(p); got < -abuseViolation/2-0.01 || got > -abuseViolation/2+0.01 {
		t.Fatalf("score %v after a half-life, want %v", got, -abuseViolation/2)
	}
}
