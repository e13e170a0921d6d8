package testnet

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Plot geometry of [WriteSoakSVG], in pixels.
const (
	plotW, plotH  = 640, 150 // one panel's drawing area
	plotLeft      = 70       // room for the value labels
	plotGap       = 40       // between panels, for the title
	plotLegendTop = 24
)

var plotColours = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"}

// WriteSoakSVG draws the samples as an SVG: one panel per metric, one
// line per member (broken where the member was down), time across.
func WriteSoakSVG(w io.Writer, samples []Sample, codes []string) error {
	end := 1.0
	for _, s := range samples {
		end = math.Max(end, s.At)
	}
	height := plotLegendTop + len(SoakMetrics)*(plotH+plotGap) + 20
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", plotLeft+plotW+20, height)
	for i, c := range codes {
		fmt.Fprintf(&b, `<text x="%d" y="14" fill="%s">%s</text>`+"\n", plotLeft+i*50, plotColours[i%len(plotColours)], html.EscapeString(c))
	}
	for i, m := range SoakMetrics {
		top := plotLegendTop + plotGap + i*(plotH+plotGap)
		writePanel(&b, m, samples, codes, top, end)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writePanel(b *strings.Builder, m Metric, samples []Sample, codes []string, top int, end float64) {
	hi := 0.0
	for _, s := range samples {
		if s.Up {
			hi = math.Max(hi, m.Of(s))
		}
	}
	if hi == 0 {
		hi = 1
	}
	title := m.Name
	if m.Unit != "" {
		title += " (" + m.Unit + ")"
	}
	fmt.Fprintf(b, `<text x="%d" y="%d">%s, over %.0f s</text>`+"\n", plotLeft, top-8, html.EscapeString(title), end)
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", plotLeft, top, plotW, plotH)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%.4g</text>`+"\n", plotLeft-4, top+10, hi)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">0</text>`+"\n", plotLeft-4, top+plotH)
	for i, c := range codes {
		var pts []string
		flush := func() {
			if len(pts) > 0 {
				fmt.Fprintf(b, `<polyline fill="none" stroke="%s" points="%s"/>`+"\n", plotColours[i%len(plotColours)], strings.Join(pts, " "))
			}
			pts = nil
		}
		for _, s := range samples {
			if s.Code != c {
				continue
			}
			if !s.Up {
				flush()
				continue
			}
			x := float64(plotLeft) + s.At/end*plotW
			y := float64(top+plotH) - m.Of(s)/hi*plotH
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		flush()
	}
}
