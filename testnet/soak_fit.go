package testnet

import (
	"fmt"
	"math"
	"slices"
)

// Sample is one measurement of one member during a soak. A member that
// was not running when sampled has Up false and no figures.
type Sample struct {
	At         float64 // seconds since the soak started
	Code       string
	Up         bool
	RSSMB      float64 // resident memory, MiB
	Goroutines float64
	OpenFiles  float64
	BadgerMB   float64 // the store directory's files, MiB
	APIms      float64 // GET /api/status, milliseconds
}

// Metric names a figure of a [Sample] and bounds its growth.
type Metric struct {
	Name string
	Unit string
	Of   func(Sample) float64
	// Slack is the growth allowed over the fit window, in the metric's
	// unit, whatever the mean; Share is the growth allowed as a share of
	// the mean over the window. The larger bound applies.
	Slack, Share float64
	// PerRecord is further growth allowed per record acknowledged during
	// the fit window (only the store grows with its data).
	PerRecord float64
}

// SoakMetrics are the figures a soak samples, with their bounds: over the
// last two thirds of the run, the linear fit of each member's samples may
// rise by at most max(Slack, Share × mean), plus PerRecord for each record
// acknowledged meanwhile.
var SoakMetrics = []Metric{
	{Name: "rss", Unit: "MiB", Of: func(s Sample) float64 { return s.RSSMB }, Slack: 16, Share: 0.2},
	{Name: "goroutines", Unit: "", Of: func(s Sample) float64 { return s.Goroutines }, Slack: 20, Share: 0.2},
	{Name: "open_files", Unit: "", Of: func(s Sample) float64 { return s.OpenFiles }, Slack: 10, Share: 0.2},
	{Name: "badger", Unit: "MiB", Of: func(s Sample) float64 { return s.BadgerMB }, Slack: 8, Share: 0.2, PerRecord: 16.0 / 1024},
	{Name: "api_latency", Unit: "ms", Of: func(s Sample) float64 { return s.APIms }, Slack: 20, Share: 0.5},
}

// Growth is the fitted growth of one metric of one member over the fit
// window, against what is allowed.
type Growth struct {
	Code, Metric string
	Mean, Rise   float64 // the mean and the fitted rise over the window
	Allowed      float64
	Points       int
}

// OK reports whether the rise stays within what is allowed.
func (g Growth) OK() bool { return g.Rise <= g.Allowed }

func (g Growth) String() string {
	return fmt.Sprintf("%s %s: mean %.1f, fitted rise %.2f over the window (allowed %.2f, %d samples)",
		g.Code, g.Metric, g.Mean, g.Rise, g.Allowed, g.Points)
}

// fitLine returns the Theil–Sen slope of y over x (the median of the
// slopes between every two samples) and the mean of y. A leak is a trend
// that every pair of samples shows; a spike of latency on a loaded machine,
// or the memory of a node just restarted, moves a least-squares line but
// hardly this median. The slope is 0 with fewer than two distinct x.
func fitLine(x, y []float64) (slope, mean float64) {
	if len(x) == 0 {
		return 0, 0
	}
	var slopes []float64
	sum := 0.0
	for i := range x {
		sum += y[i]
		for j := i + 1; j < len(x); j++ {
			if dx := x[j] - x[i]; math.Abs(dx) > 1e-9 {
				slopes = append(slopes, (y[j]-y[i])/dx)
			}
		}
	}
	mean = sum / float64(len(x))
	if len(slopes) == 0 {
		return 0, mean
	}
	slices.Sort(slopes)
	if k := len(slopes); k%2 == 1 {
		return slopes[k/2], mean
	} else {
		return (slopes[k/2-1] + slopes[k/2]) / 2, mean
	}
}

// Growths fits every metric of every member over the samples taken from
// from seconds on, to the end at seconds; records is how many records were
// acknowledged in that window.
func Growths(samples []Sample, codes []string, from, end float64, records int) []Growth {
	var out []Growth
	for _, code := range codes {
		for _, m := range SoakMetrics {
			var x, y []float64
			for _, s := range samples {
				if s.Code == code && s.Up && s.At >= from {
					x, y = append(x, s.At), append(y, m.Of(s))
				}
			}
			slope, mean := fitLine(x, y)
			allowed := math.Max(m.Slack, m.Share*mean) + m.PerRecord*float64(records)
			out = append(out, Growth{Code: code, Metric: m.Name, Mean: mean, Rise: slope * (end - from), Allowed: allowed, Points: len(x)})
		}
	}
	return out
}
