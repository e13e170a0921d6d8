package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Carats is a weight in hundredths of a carat (1 ct = 0.2 g). It is never a
// float: in JSON it is a decimal string with up to two places, "1234.50".
type Carats int64

// USD is an amount of US dollars in cents. In JSON it is a decimal string
// with up to two places, "1800.00".
type USD int64

// ParseCarats parses a non-negative decimal such as "12", "12.5" or "12.50".
func ParseCarats(s string) (Carats, error) {
	v, err := parseHundredths(s)
	return Carats(v), err
}

// ParseUSD parses a non-negative decimal such as "1800" or "1800.00".
func ParseUSD(s string) (USD, error) {
	v, err := parseHundredths(s)
	return USD(v), err
}

// String formats c with exactly two decimal places.
func (c Carats) String() string { return formatHundredths(int64(c)) }

// String formats u with exactly two decimal places.
func (u USD) String() string { return formatHundredths(int64(u)) }

// MarshalJSON encodes c as a JSON string such as "12.50".
func (c Carats) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, c.String()), nil }

// MarshalJSON encodes u as a JSON string such as "1800.00".
func (u USD) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, u.String()), nil }

// UnmarshalJSON decodes a JSON string accepted by [ParseCarats]; JSON
// numbers are rejected.
func (c *Carats) UnmarshalJSON(b []byte) error {
	v, err := unmarshalHundredths(b)
	if err == nil {
		*c = Carats(v)
	}
	return err
}

// UnmarshalJSON decodes a JSON string accepted by [ParseUSD]; JSON numbers
// are rejected.
func (u *USD) UnmarshalJSON(b []byte) error {
	v, err := unmarshalHundredths(b)
	if err == nil {
		*u = USD(v)
	}
	return err
}

var errAmountNumber = errors.New("parse amount: must be a decimal string such as \"12.50\", not a JSON number")

func unmarshalHundredths(b []byte) (int64, error) {
	var s string
	if len(b) == 0 || b[0] != '"' {
		return 0, errAmountNumber
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, fmt.Errorf("parse amount: %w", err)
	}
	return parseHundredths(s)
}

// parseHundredths parses digits with an optional '.' and one or two
// decimals into hundredths. No sign, exponent, spaces, leading zeros (other
// than a lone "0" before the point) or bare point is accepted.
func parseHundredths(s string) (int64, error) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	switch {
	case whole == "" || !allDigits(whole) || !allDigits(frac):
		return 0, fmt.Errorf("parse amount: %q is not a decimal such as \"12.50\"", truncate(s, 30))
	case hasPoint && (len(frac) == 0 || len(frac) > 2):
		return 0, fmt.Errorf("parse amount: %q must have one or two decimals after the point", truncate(s, 30))
	case len(whole) > 1 && whole[0] == '0':
		return 0, fmt.Errorf("parse amount: %q has a leading zero", truncate(s, 30))
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/100 {
		return 0, fmt.Errorf("parse amount: %q is too large", truncate(s, 30))
	}
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	if w*100 > math.MaxInt64-f {
		return 0, fmt.Errorf("parse amount: %q is too large", truncate(s, 30))
	}
	return w*100 + f, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatHundredths writes v/100 with two decimals, "-" first when negative.
func formatHundredths(v int64) string {
	var buf [24]byte
	return string(appendHundredths(buf[:0], v))
}

// appendHundredths appends v as formatHundredths formats it.
func appendHundredths(b []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		b, u = append(b, '-'), uint64(-(v+1))+1
	}
	b = strconv.AppendUint(b, u/100, 10)
	f := byte(u % 100)
	return append(b, '.', '0'+f/10, '0'+f%10)
}

// Money is an amount in hundredths of the unit of a currency other than
// the US dollar (a statistics value before conversion, [Conversion]). In
// JSON it is a decimal string with up to two places, as [USD].
type Money int64

// String formats m with two decimals.
func (m Money) String() string { return formatHundredths(int64(m)) }

// MarshalJSON writes m as a decimal string.
func (m Money) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, m.String()), nil }

// UnmarshalJSON reads a decimal string.
func (m *Money) UnmarshalJSON(b []byte) error {
	v, err := unmarshalHundredths(b)
	if err == nil {
		*m = Money(v)
	}
	return err
}
