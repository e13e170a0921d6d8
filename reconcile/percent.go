package reconcile

import (
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// Percent is a percentage with at most two decimals, held as hundredths of a
// percent: 20 % is 2000 and 0.05 % is 5. In JSON it is a number such as 20
// or 0.05; a decimal string such as "0.05" is accepted too.
type Percent int64

// ParsePercent parses a non-negative decimal with at most two places, such
// as "20", "12.5" or "0.05".
func ParsePercent(s string) (Percent, error) {
	v, err := protocol.ParseUSD(s) // same grammar: digits, optional point, one or two decimals
	if err != nil {
		return 0, fmt.Errorf("parse percent %q: want a decimal with at most two places, such as 20 or 0.05", truncate(s, 30))
	}
	return Percent(v), nil
}

// String formats p without trailing zeros: "20", "12.5", "0.05".
func (p Percent) String() string {
	s := protocol.USD(p).String()
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// MarshalJSON writes p as a JSON number.
func (p Percent) MarshalJSON() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalJSON reads a JSON number or a decimal string.
func (p *Percent) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		u, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("parse percent: %v", err)
		}
		s = u
	}
	v, err := ParsePercent(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// exceeds reports whether diff is more than p percent of base, computed
// exactly in 128 bits: diff × 10000 > p × base.
func exceeds(diff, base int64, p Percent) bool {
	if diff <= 0 {
		return false
	}
	if base <= 0 {
		return true
	}
	lh, ll := bits.Mul64(uint64(diff), 10000)
	rh, rl := bits.Mul64(uint64(p), uint64(base))
	return lh > rh || lh == rh && ll > rl
}

// within reports whether a and b differ by at most p percent of the larger.
func within(a, b int64, p Percent) bool { return !exceeds(absDiff(a, b), max(a, b), p) }

// pctOf formats diff as a percentage of base with two decimals, "12.34";
// "inf" when base is zero and diff is not.
func pctOf(diff, base int64) string {
	if base == 0 {
		if diff == 0 {
			return "0.00"
		}
		return "inf"
	}
	n := new(big.Int).Mul(big.NewInt(diff), big.NewInt(10000))
	q := n.Quo(n, big.NewInt(base)) // hundredths of a percent, truncated toward zero
	return formatHundredths(q.Int64())
}

// formatHundredths writes v/100 with two decimals and a sign when negative.
func formatHundredths(v int64) string {
	if v < 0 {
		return "-" + protocol.USD(-v).String()
	}
	return protocol.USD(v).String()
}

func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

// truncate shortens s to at most n bytes for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
