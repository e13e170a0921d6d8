package reconcile

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestPackNumbersRoundTrip checks that a held finding's Numbers come back
// as they went in, for any keys and values (empty, long, any bytes), nil
// and empty maps told apart, and that packings are equal exactly when the
// maps are.
func TestPackNumbersRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rng.IntN(3)*rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	cases := []map[string]string{nil, {}, {"": ""}, {"carats": "1520.50", "a\x00b": "\x80\x81", strings.Repeat("k", 300): strings.Repeat("v", 70000)}}
	for range 500 {
		n := map[string]string{}
		for range rng.IntN(14) {
			n[word()] = word()
		}
		cases = append(cases, n)
	}
	var keys numberKeys
	pack := keys.pack
	for i, n := range cases {
		got := keys.unpack(pack(n))
		if !reflect.DeepEqual(got, n) {
			t.Fatalf("case %d: unpack(pack(%q)) = %q", i, n, got)
		}
		for j, m := range cases[:i] {
			if (pack(n) == pack(m)) != (maps.Equal(n, m) && (n == nil) == (m == nil)) {
				t.Fatalf("cases %d and %d: packings equal %v, maps %q and %q", i, j, pack(n) == pack(m), n, m)
			}
		}
	}
}
