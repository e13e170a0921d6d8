package store

import (
	"slices"
	"testing"
	"time"
)

func testPartner(code string) Partner {
	var p Partner
	p.Code = code
	p.Card = []byte(`{"code":"` + code + `","sig":"…"}`)
	p.Key[0] = code[0]
	p.Added = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	p.AddrOverride = []string{"/ip4/127.0.0.1/tcp/4001"}
	return p
}

func TestPartners(t *testing.T) {
	s := openMem(t)
	for _, code := range []string{"FR", "DE", "EU", "BE"} {
		if err := s.PutPartner(testPartner(code)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Partner("DE")
	if err != nil || !partnerEqual(got, testPartner("DE")) {
		t.Fatalf("partner DE = %+v, %v", got, err)
	}
	_, err = s.Partner("XX")
	wantErr(t, err, ErrNotFound)

	updated := testPartner("DE")
	updated.AddrOverride = nil
	updated.Added = time.Time{} // keeps the stored one
	if err := s.PutPartner(updated); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Partner("DE"); got.AddrOverride != nil || !got.Added.Equal(testPartner("DE").Added) {
		t.Fatalf("replaced partner = %+v", got)
	}

	if err := s.RemovePartner("FR"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.RemovePartner("XX"), ErrNotFound)
	list, err := s.Partners()
	if err != nil {
		t.Fatal(err)
	}
	codes := []string{}
	for _, p := range list {
		codes = append(codes, p.Code)
	}
	if !slices.Equal(codes, []string{"BE", "DE", "EU"}) {
		t.Fatalf("partners = %v, want BE DE EU (sorted, FR removed)", codes)
	}
	fr, err := s.Partner("FR")
	if err != nil || !fr.Removed || fr.RemovedAt.IsZero() || string(fr.Card) != string(testPartner("FR").Card) {
		t.Fatalf("removed partner = %+v, %v; want the tombstone with its card", fr, err)
	}
}

func TestRemovalIsKept(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutPartner(testPartner("FR")); err != nil {
		t.Fatal(err)
	}
	if err := s.RemovePartner("FR"); err != nil {
		t.Fatal(err)
	}
	first, _ := s.Partner("FR")
	if err := s.RemovePartner("FR"); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Partner("FR"); !again.RemovedAt.Equal(first.RemovedAt) {
		t.Fatalf("second removal moved RemovedAt from %s to %s", first.RemovedAt, again.RemovedAt)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir) // the removal was synced and survives
	if p, err := s.Partner("FR"); err != nil || !p.Removed {
		t.Fatalf("after reopen: %+v, %v; want the tombstone", p, err)
	}
	if err := s.PutPartner(testPartner("FR")); err != nil { // the operator re-adds the card
		t.Fatal(err)
	}
	if p, _ := s.Partner("FR"); p.Removed || !p.RemovedAt.IsZero() {
		t.Fatalf("re-added partner = %+v", p)
	}
	wantErr(t, s.PutPartner(Partner{}), ErrInvalid)
}

func partnerEqual(a, b Partner) bool {
	return a.Code == b.Code && string(a.Card) == string(b.Card) && a.Key == b.Key &&
		a.Added.Equal(b.Added) && slices.Equal(a.AddrOverride, b.AddrOverride) &&
		a.Removed == b.Removed && a.RemovedAt.Equal(b.RemovedAt)
}
