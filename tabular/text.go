package tabular

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// truncate shortens s for quoting in a problem.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// quoteList quotes each of list, separated by commas.
func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// addChecked adds two non-negative amounts, setting overflow when the sum
// exceeds math.MaxInt64.
func addChecked(a, b int64, overflow bool) (int64, bool) {
	if a > math.MaxInt64-b {
		return a, true
	}
	return a + b, overflow
}
