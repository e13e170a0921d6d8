package node

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node/internal/blobxfer"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestBlobsThroughTheExchange: /kpnode/blob/1.0.0 is served through the
// exchange. A stranger connected to IN cannot open it; a pinned partner
// can, and when it sends a request no correct peer sends (an unknown
// frame type), the exchange charges it a violation, as it charges a sync
// violation (its gossipsub score falls with it).
func TestBlobsThroughTheExchange(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inID, beID := in.ex.Host().ID(), be.ex.Host().ID()

	atk := newAttacker(t)
	h := in.ex.Host()
	atk.h.Connect(ctx, peer.AddrInfo{ID: inID, Addrs: h.Addrs()}) // may report success: see LIBRARIES.md §1.2
	if s, err := atk.h.NewStream(ctx, inID, blobxfer.ProtocolID); err == nil {
		s.Write([]byte{0, 0, 0, 1, 0x7f})
		b, _ := io.ReadAll(s)
		if in.ex.Abuse(atk.h.ID()).Violations != 0 || len(b) != 0 {
			t.Fatalf("a stranger reached the blob server (read %q)", b)
		}
	}

	eventually(t, 30*time.Second, "IN charges BE a violation for a bad blob request", func() error {
		s, err := be.ex.OpenStream(ctx, inID, blobxfer.ProtocolID)
		if err != nil {
			return err
		}
		s.Write([]byte{0, 0, 0, 1, 0x7f}) // a frame of an unknown type
		io.ReadAll(s)
		s.Close()
		if v := in.ex.Abuse(beID).Violations; v == 0 {
			return fmt.Errorf("violations %d", v)
		}
		return nil
	})
	if v := in.ex.Abuse(atk.h.ID()).Violations; v != 0 {
		t.Fatalf("the stranger charged %d violations: its stream reached the server", v)
	}
}
