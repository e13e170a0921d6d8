package api

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/staff"
	"github.com/kpnode/kpnode/store"
)

// BenchmarkIdentify measures what identifying a request's caller costs:
// the node's token fixed in memory (the baseline, as before staff), the
// node's token followed in api.token (one stat per request), and a staff
// token (a map lookup and a SHA-256). Report them as ratios to the fixed
// token's.
func BenchmarkIdentify(b *testing.B) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	dir, err := staff.Open(st, staff.Config{BcryptCost: bcrypt.MinCost, Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	svc, _, err := dir.CreateToken("node", staff.TokenRequest{Name: "bench", Role: staff.Viewer})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "api.token")
	if err := crypto.WriteSecretFile(path, crypto.Secret(testToken)); err != nil {
		b.Fatal(err)
	}
	fixed, _ := NewHandler(nil, crypto.Secret(testToken), nil, WithStaff(dir))
	file, _ := NewHandler(nil, crypto.Secret("unused"), nil, WithStaff(dir), WithTokenFile(path))
	for _, c := range []struct {
		name  string
		h     *Handler
		token string
	}{{"node-token-fixed", fixed, testToken}, {"node-token-file", file, testToken}, {"staff-token", file, svc}} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/api/status", nil)
			r.Header.Set("Authorization", "Bearer "+c.token)
			for b.Loop() {
				if _, _, err := c.h.identify(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPasswordCheck measures one password check at the daemon's
// bcrypt cost (staff.DefaultConfig): what each sign-in, right or wrong,
// costs the node and a guesser.
func BenchmarkPasswordCheck(b *testing.B) {
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	dir, err := staff.Open(st, staff.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := dir.AddUser("node", "vera", staff.Viewer, crypto.Secret(staffPassword)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := dir.Authenticate("vera", crypto.Secret("a wrong password")); err == nil {
			b.Fatal("a wrong password passed")
		}
	}
}
