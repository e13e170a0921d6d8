package roster

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
	"github.com/libp2p/go-libp2p/core/peer"
)

// recorder is a Listener that notes each call and what the roster's
// snapshot said at that moment.
type recorder struct {
	r     *Roster
	mu    sync.Mutex // guards calls and addrs
	calls []string
	addrs []string // the last AddrsSet's
}

func (l *recorder) note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf(format, args...))
}

func (l *recorder) Admitted(p store.Partner, pid peer.ID) {
	_, known := l.r.Snapshot().PartnerByPeer(pid)
	l.note("admitted %s known=%v", p.Code, known)
}
func (l *recorder) Attach(p store.Partner) error { l.note("attach %s", p.Code); return nil }
func (l *recorder) Removed(p store.Partner, pid peer.ID) {
	_, known := l.r.Snapshot().PartnerByPeer(pid)
	l.note("removed %s known=%v", p.Code, known)
}
func (l *recorder) PeerRetired(pid peer.ID) {
	_, known := l.r.Snapshot().PartnerByPeer(pid)
	l.note("retired known=%v", known)
}
func (l *recorder) AddrsSet(_ peer.ID, addrs []string) {
	l.note("addrs")
	l.mu.Lock()
	l.addrs = addrs
	l.mu.Unlock()
}
func (l *recorder) FeedsChanged()                 { l.note("feeds") }
func (l *recorder) Paused(_ peer.ID, paused bool) { l.note("paused %v", paused) }

func newTestRoster(t *testing.T) (*Roster, *recorder) {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	r := New(Config{Code: "IN", ID: id, Store: st})
	l := &recorder{r: r}
	r.Subscribe(l)
	return r, l
}

// TestSnapshotIsImmutable: a snapshot taken before a change still says
// what it said; the change shows in the next one only.
func TestSnapshotIsImmutable(t *testing.T) {
	r, _ := newTestRoster(t)
	id, sc := signedTestCard(t, "BE")
	before := r.Snapshot()
	if _, err := r.AddPartner(sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	if _, ok := before.FeedCode(id.Public()); ok {
		t.Fatal("a snapshot taken before AddPartner shows the new partner's feed")
	}
	if code, ok := r.Snapshot().FeedCode(id.Public()); !ok || code != "BE" {
		t.Fatalf("after AddPartner: feed code %q, %v; want BE", code, ok)
	}
	if r.Snapshot().Keys("BE") == nil || before.Keys("BE") != nil {
		t.Fatal("the partner's age keys are not in the new snapshot alone")
	}
}

// TestListenersSeeTheChange: listeners are told in order, after the
// snapshot that holds the change is published, and told when the feeds'
// codes changed (views keyed by code, the inbox's, are rebuilt).
func TestListenersSeeTheChange(t *testing.T) {
	r, l := newTestRoster(t)
	_, sc := signedTestCard(t, "BE")
	if _, err := r.AddPartner(sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PausePartner("BE", true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetPartnerAddrs("BE", []string{"/ip4/192.0.2.1/tcp/4101"}); err != nil {
		t.Fatal(err)
	}
	if err := r.RemovePartner("BE"); err != nil {
		t.Fatal(err)
	}
	want := []string{"feeds", "admitted BE known=true", "attach BE", "paused true", "addrs", "feeds", "removed BE known=false"}
	if fmt.Sprint(l.calls) != fmt.Sprint(want) {
		t.Fatalf("listener calls %q, want %q", l.calls, want)
	}
	if err := r.RemovePartner("BE"); !errors.Is(err, ErrUnknownPartner) {
		t.Fatalf("removing twice: %v, want ErrUnknownPartner", err)
	}
}

// TestRepinRetiresTheOldPeer: a re-pin after a compromise refuses the old
// key's peer at once and closes its feed at the stated seq.
func TestRepinRetiresTheOldPeer(t *testing.T) {
	r, l := newTestRoster(t)
	old, sc := signedTestCard(t, "BE")
	if _, err := r.AddPartner(sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	next, nsc := signedTestCard(t, "BE")
	res, err := r.RepinPartner("BE", nsc.Bytes(), 7)
	if err != nil || res.ValidThrough != 7 {
		t.Fatalf("repin: %+v, %v", res, err)
	}
	s := r.Snapshot()
	if f, ok := s.ClosedAt(old.Public()); !ok || f.ValidThrough != 7 || f.Reason != RetiredCompromised {
		t.Fatalf("old feed closed at %+v, %v; want 7, compromised", f, ok)
	}
	oldPeer, _ := peer.Decode(old.PeerID())
	newPeer, _ := peer.Decode(next.PeerID())
	if _, ok := s.PartnerByPeer(oldPeer); ok {
		t.Fatal("the compromised key's peer is still admitted")
	}
	if code, ok := s.PartnerByPeer(newPeer); !ok || code != "BE" {
		t.Fatal("the new key's peer is not admitted")
	}
	heads := s.CapClosed(map[crypto.PublicKey]uint64{old.Public(): 9, next.Public(): 9})
	if heads[old.Public()] != 7 || heads[next.Public()] != 9 {
		t.Fatalf("capped heads %v: want the old feed at 7, the new at 9", heads)
	}
	want := "[feeds admitted BE known=true attach BE feeds retired known=false feeds admitted BE known=true attach BE]"
	if fmt.Sprint(l.calls) != want {
		t.Fatalf("listener calls %q, want %s", l.calls, want)
	}
}

// TestReadersDuringChanges: readers never lock and never see a map being
// written (run with -race).
func TestReadersDuringChanges(t *testing.T) {
	r, _ := newTestRoster(t)
	var cards [][]byte
	for _, code := range []string{"BE", "AE", "ZA", "BW"} {
		_, sc := signedTestCard(t, code)
		cards = append(cards, sc.Bytes())
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			s := r.Snapshot()
			for _, k := range s.KnownFeeds() {
				s.FeedCode(k)
			}
			s.Peers()
		}
	}()
	for _, c := range cards {
		if _, err := r.AddPartner(c); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if n := len(r.Snapshot().KnownFeeds()); n != 5 {
		t.Fatalf("%d feeds known, want 5 (own and four partners)", n)
	}
}

// TestFollowHandoverClosesWithoutAttaching: following a partner's
// hand-over closes its old feed and admits the new key before it returns
// (later entries of the same frame depend on it), and leaves joining and
// dialling the new key to the caller: ingest runs it inside gossipsub's
// validator, where no topic may be joined under the roster's lock.
func TestFollowHandoverClosesWithoutAttaching(t *testing.T) {
	r, l := newTestRoster(t)
	old, sc := signedTestCard(t, "BE")
	if _, err := r.AddPartner(sc.Bytes()); err != nil {
		t.Fatal(err)
	}
	next, nsc := signedTestCard(t, "BE")
	body, err := json.Marshal(protocol.NewHandover(nsc, "scheduled"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := protocol.NewEntry(old, protocol.Draft{Seq: 5, Prev: protocol.Hash{1}, Time: time.Now().UTC(), Type: protocol.HandoverType,
		Audience: []string{"IN"}, Ciphertext: []byte("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	l.calls = nil
	p, ok := r.FollowHandover("BE", e, &store.Record{Type: protocol.HandoverType, Body: body})
	if !ok || p.Key != next.Public() {
		t.Fatalf("follow: %v, key %s; want the new key", ok, p.Key.Fingerprint())
	}
	if f, ok := r.ClosedAt(old.Public()); !ok || f.ValidThrough != 5 || f.Reason != RetiredRotated {
		t.Fatalf("old feed closed at %+v, %v; want 5, rotated", f, ok)
	}
	if code, ok := r.FeedCode(next.Public()); !ok || code != "BE" {
		t.Fatal("the new key's feed is not kept")
	}
	oldPeer, _ := peer.Decode(old.PeerID())
	if _, ok := r.Snapshot().PartnerByPeer(oldPeer); !ok {
		t.Fatal("a rotated key's peer must stay admitted until the new key connects")
	}
	if want := "[feeds feeds admitted BE known=true]"; fmt.Sprint(l.calls) != want {
		t.Fatalf("listener calls %q, want %s (no attach: the caller attaches off the ingest path)", l.calls, want)
	}
	newPeer, _ := peer.Decode(next.PeerID())
	r.NewKeyConnected("BE", newPeer)
	if _, ok := r.Snapshot().PartnerByPeer(oldPeer); ok {
		t.Fatal("the rotated key's peer is still admitted after the new key connected")
	}
}
