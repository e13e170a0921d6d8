package tabular

import "sync/atomic"

// tableProgressEvery is how many records a table reader validates between
// two calls of its progress function.
const tableProgressEvery = 256

// tableProgress counts the records validated, from several goroutines, and
// calls the reader's progress function every tableProgressEvery of them
// and at the last. A nil *tableProgress counts nothing.
type tableProgress struct {
	report func(done, total int)
	total  int
	done   atomic.Int64
}

// newTableProgress returns the counter of total records for report, nil
// when report is nil.
func newTableProgress(report func(done, total int), total int) *tableProgress {
	if report == nil {
		return nil
	}
	report(0, total)
	return &tableProgress{report: report, total: total}
}

// add counts k more records done.
func (p *tableProgress) add(k int) {
	if p == nil {
		return
	}
	d := int(p.done.Add(int64(k)))
	if d%tableProgressEvery == 0 || d == p.total {
		p.report(d, p.total)
	}
}
