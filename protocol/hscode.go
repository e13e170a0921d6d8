package protocol

import "slices"

// hsCodes are the Harmonized System codes of rough diamonds, the only ones
// valid on a KP certificate: unsorted, industrial, and non-industrial (gem).
var hsCodes = []string{"7102.10", "7102.21", "7102.31"}

// HSCodes returns the valid rough-diamond HS codes in ascending order.
func HSCodes() []string { return slices.Clone(hsCodes) }

// ValidHSCode reports whether s is one of [HSCodes].
func ValidHSCode(s string) bool { return slices.Contains(hsCodes, s) }
