package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

// TestAttachmentStatesSayWhatIsMissing: BE fetches no file unasked and
// has paused its link to IN, so IN's notice reaches it through AE. BE's
// states say the scan is not held and who would be asked (AE, the only
// partner connected; nobody once AE is paused too), and a failed open
// says so by partner code, in words, without peer IDs or transport
// errors. AE, asked, pulls the ciphertext from IN; BE's next open gets
// it, and the state says held.
func TestAttachmentStatesSayWhatIsMissing(t *testing.T) {
	in, ae := testNode(t, "IN"), testNode(t, "AE")
	be := testNodeWith(t, "BE", func(n *Node) { n.cfg.AttachmentEagerMB = -1 })
	for _, pair := range [][2]*Node{{in, be}, {be, in}, {in, ae}, {ae, in}, {be, ae}, {ae, be}} {
		pin(t, pair[0], pair[1])
	}
	if _, err := be.PausePartner("IN", true); err != nil {
		t.Fatal(err)
	}
	scan := bytes.Repeat([]byte("scan of AE0123456 "), 20_000)
	f, err := in.AddAttachment(bytes.NewReader(scan), "AE0123456.pdf", "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := in.Publish(ctx, protocol.NoticeType, withFiles(t, f), []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, be, p.Seq, AttachmentState{Name: "AE0123456.pdf", Size: int64(len(scan)), From: []string{"AE"}})

	if _, err := be.PausePartner("AE", true); err != nil {
		t.Fatal(err)
	}
	wantStates(t, be, p.Seq, AttachmentState{Name: "AE0123456.pdf", Size: int64(len(scan)), From: []string{}})
	wantOpenFails(t, be, p.Seq, "no partner is connected to fetch it from")

	if _, err := be.PausePartner("AE", false); err != nil {
		t.Fatal(err)
	}
	wantStates(t, be, p.Seq, AttachmentState{Name: "AE0123456.pdf", Size: int64(len(scan)), From: []string{"AE"}})
	wantOpenFails(t, be, p.Seq, "asked AE: none holds it yet")
	eventually(t, 30*time.Second, "BE opens the scan through AE", func() error {
		var out bytes.Buffer
		if _, err := be.OpenAttachment(ctx, "IN", p.Seq, FileRef{Name: "AE0123456.pdf"}, &out); err != nil {
			return err
		}
		if !bytes.Equal(out.Bytes(), scan) {
			return errors.New("bytes differ")
		}
		return nil
	})
	wantStates(t, be, p.Seq, AttachmentState{Name: "AE0123456.pdf", Size: int64(len(scan)), Held: true, From: []string{}})
}

// wantStates waits until n's states of IN's record seq are want.
func wantStates(t *testing.T, n *Node, seq uint64, want ...AttachmentState) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("states %+v", want), func() error {
		got, err := n.AttachmentStates("IN", seq)
		if err != nil {
			return err
		}
		if !slices.EqualFunc(got, want, func(a, b AttachmentState) bool {
			return a.Name == b.Name && a.Size == b.Size && a.Held == b.Held && a.Eager == b.Eager && slices.Equal(a.From, b.From)
		}) {
			return fmt.Errorf("got %+v", got)
		}
		return nil
	})
}

// wantOpenFails opens the file of IN's record seq at n and wants it
// unavailable with a message holding want and naming no peer ID.
func wantOpenFails(t *testing.T, n *Node, seq uint64, want string) {
	t.Helper()
	_, err := n.OpenAttachment(context.Background(), "IN", seq, FileRef{Name: "AE0123456.pdf"}, &bytes.Buffer{})
	if !errors.Is(err, ErrAttachmentUnavailable) || !strings.Contains(err.Error(), want) {
		t.Fatalf("open = %v, want %v saying %q", err, ErrAttachmentUnavailable, want)
	}
	if strings.Contains(err.Error(), "peer") || strings.Contains(err.Error(), "12D3") {
		t.Fatalf("open = %v: peer IDs and transport errors belong in the log", err)
	}
}
