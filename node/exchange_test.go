package node

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// mesh starts nodes with the given codes, each a partner of the others.
func mesh(t *testing.T, codes ...string) []*Node {
	t.Helper()
	nodes := make([]*Node, len(codes))
	for i, c := range codes {
		nodes[i] = testNode(t, c)
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				pin(t, a, b)
			}
		}
	}
	return nodes
}

// eventually polls cond every 20 ms until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s: %v", what, d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// holds checks that reader holds author's feed up to seq, with records
// for the entries addressed to it.
func holds(reader *Node, author string, seq uint64) error {
	key, err := reader.authorKey(author)
	if err != nil {
		return err
	}
	if h, err := reader.st.Head(key); err != nil || h.Seq != seq {
		return fmt.Errorf("%s holds %s up to %d, want %d (%v)", reader.Participant(), author, h.Seq, seq, err)
	}
	entries, err := reader.Feed(author, 1, 0)
	if err != nil {
		return err
	}
	if uint64(len(entries)) != seq {
		return fmt.Errorf("%s holds %d entries of %s, want %d", reader.Participant(), len(entries), author, seq)
	}
	for _, e := range entries {
		addressed := false
		for _, a := range e.Audience {
			addressed = addressed || a == reader.Participant()
		}
		if addressed != (len(e.Record) > 0) {
			return fmt.Errorf("%s entry %d: addressed=%v but record present=%v", reader.Participant(), e.Seq, addressed, len(e.Record) > 0)
		}
	}
	return nil
}

func TestThreeNodesExchange(t *testing.T) {
	nodes := mesh(t, "IN", "BE", "AE")
	in, be, ae := nodes[0], nodes[1], nodes[2]
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := in.Publish(ctx, "notice", notice(t), []string{"BE"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := in.Publish(ctx, "notice", notice(t), []string{"all"}); err != nil {
		t.Fatal(err)
	}
	if _, err := be.Publish(ctx, "notice", noticeBy(t, "BE"), []string{"IN", "AE"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "BE has IN's feed", func() error { return holds(be, in.Participant(), 6) })
	eventually(t, 30*time.Second, "AE has IN's feed", func() error { return holds(ae, in.Participant(), 6) })
	eventually(t, 30*time.Second, "IN has BE's feed", func() error { return holds(in, be.Participant(), 1) })
	eventually(t, 30*time.Second, "AE has BE's feed", func() error { return holds(ae, be.Participant(), 1) })
	eventually(t, 30*time.Second, "IN gets receipts", func() error {
		s, err := in.Status()
		if err != nil {
			return err
		}
		for _, p := range s.Partners {
			if p.Receipt != 6 || p.Undelivered != 0 || !p.Connected {
				return fmt.Errorf("partner %s: %+v", p.Code, p)
			}
		}
		return nil
	})
}
