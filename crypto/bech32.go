package crypto

import (
	"errors"
	"fmt"
	"strings"
)

// bech32Charset maps 5-bit values to bech32 characters (BIP 173).
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// errBech32 is wrapped by every bech32 decoding error.
var errBech32 = errors.New("malformed bech32 string")

// decodeBech32 appends to dst the data of s, a lowercase bech32 string
// (BIP 173, the encoding of age keys) with human-readable part hrp. It
// checks the checksum and that the padding bits are zero.
func decodeBech32(dst []byte, s, hrp string) ([]byte, error) {
	data, ok := strings.CutPrefix(s, hrp+"1")
	if !ok || len(data) < 6 {
		return nil, fmt.Errorf("%w: want %q followed by data and checksum", errBech32, hrp+"1")
	}
	chk := bech32HRPChecksum(hrp)
	var acc, bits uint32
	for i := range len(data) {
		v := strings.IndexByte(bech32Charset, data[i])
		if v < 0 {
			return nil, fmt.Errorf("%w: invalid character %q", errBech32, data[i])
		}
		chk = bech32Polymod(chk, byte(v))
		if i >= len(data)-6 {
			continue // checksum characters carry no data
		}
		acc, bits = acc<<5|uint32(v), bits+5
		if bits >= 8 {
			bits -= 8
			dst = append(dst, byte(acc>>bits))
			acc &= 1<<bits - 1
		}
	}
	if chk != 1 {
		return nil, fmt.Errorf("%w: bad checksum", errBech32)
	}
	if bits >= 5 || acc != 0 {
		return nil, fmt.Errorf("%w: non-zero padding", errBech32)
	}
	return dst, nil
}

// bech32HRPChecksum is the checksum state after the expanded
// human-readable part.
func bech32HRPChecksum(hrp string) uint32 {
	chk := uint32(1)
	for i := range len(hrp) {
		chk = bech32Polymod(chk, hrp[i]>>5)
	}
	chk = bech32Polymod(chk, 0)
	for i := range len(hrp) {
		chk = bech32Polymod(chk, hrp[i]&31)
	}
	return chk
}

// bech32Polymod feeds one 5-bit value into the BCH checksum state.
func bech32Polymod(chk uint32, v byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	top := chk >> 25
	chk = (chk&0x1ffffff)<<5 ^ uint32(v)
	for i, g := range gen {
		if top>>i&1 == 1 {
			chk ^= g
		}
	}
	return chk
}
