package report

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"image/color"
	"regexp"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Charts are drawn with gonum.org/v1/plot on its SVG canvas and inlined
// into the HTML report, so the report is one file that needs no network.
// Fonts are not embedded (vgsvg's default): the SVG names the font family
// and the browser substitutes a local one, which keeps each chart a few KB.

// Period colours, shared by the charts and the HTML tables' legend.
var (
	colBusiness = color.RGBA{0x5b, 0x8d, 0xd6, 0xff}
	colOffHours = color.RGBA{0xf0, 0xa3, 0x5e, 0xff}
	colSleep    = color.RGBA{0x6a, 0x3d, 0x9a, 0xff}
)

// ramp is the heat map palette: white (no interruptions) to dark red, so
// that an empty hour prints as paper.
type ramp struct{}

const rampSteps = 9

func (ramp) Colors() []color.Color {
	out := make([]color.Color, rampSteps)
	for i := range out {
		out[i] = rampAt(float64(i) / float64(rampSteps-1))
	}
	return out
}

// rampAt interpolates white → #fdae61 → #b2182b at f in [0, 1].
func rampAt(f float64) color.RGBA {
	lerp := func(a, b uint8, t float64) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t + 0.5) }
	if f <= 0.5 {
		t := f / 0.5
		return color.RGBA{lerp(0xff, 0xfd, t), lerp(0xff, 0xae, t), lerp(0xff, 0x61, t), 0xff}
	}
	t := (f - 0.5) / 0.5
	return color.RGBA{lerp(0xfd, 0xb2, t), lerp(0xae, 0x18, t), lerp(0x61, 0x2b, t), 0xff}
}

func rampColor(n, maxN int64) color.Color {
	if n <= 0 || maxN <= 0 {
		return rampAt(0)
	}
	return rampAt(float64(n) / float64(maxN))
}

// heatGrid adapts a Heatmap to plotter.GridXYZ: column = local hour, row 0
// (the bottom of the chart) = Sunday, so Monday reads first from the top.
type heatGrid struct{ h *Heatmap }

func (g heatGrid) Dims() (c, r int)   { return 24, 7 }
func (g heatGrid) Z(c, r int) float64 { return float64(g.h.Counts[6-r][c]) }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }

// heatmapSVG draws the hour × weekday heat map with the count in each
// non-empty cell (so it reads in black and white print too).
func heatmapSVG(h Heatmap) (htmltemplate.HTML, error) {
	p, err := heatmapPlot(h)
	if err != nil {
		return "", err
	}
	return drawSVG(p, vg.Points(720), vg.Points(250))
}

func heatmapPlot(h Heatmap) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = "local hour"
	hm := plotter.NewHeatMap(heatGrid{&h}, ramp{})
	hm.Min, hm.Max = 0, float64(max(h.Max, 1))
	p.Add(hm)

	var xys plotter.XYs
	var labels []string
	var dark []bool
	for d := range h.Counts {
		for hr, n := range h.Counts[d] {
			if n > 0 {
				xys = append(xys, plotter.XY{X: float64(hr), Y: float64(6 - d)})
				labels = append(labels, strconv.FormatInt(n, 10))
				dark = append(dark, float64(n) > 0.7*float64(h.Max))
			}
		}
	}
	if len(xys) > 0 {
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, fmt.Errorf("heat map labels: %w", err)
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign = text.XCenter
			l.TextStyle[i].YAlign = text.YCenter
			l.TextStyle[i].Font.Size = vg.Points(7)
			l.TextStyle[i].Color = color.Black
			if dark[i] { // keep the count legible on the darkest reds
				l.TextStyle[i].Color = color.White
			}
		}
		p.Add(l)
	}

	var xt []plot.Tick
	for hr := 0; hr < 24; hr++ {
		t := plot.Tick{Value: float64(hr)}
		if hr%3 == 0 {
			t.Label = fmt.Sprintf("%02d", hr)
		}
		xt = append(xt, t)
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	var yt []plot.Tick
	for r := 0; r < 7; r++ {
		yt = append(yt, plot.Tick{Value: float64(r), Label: weekdays[6-r]})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Min, p.X.Max = -0.5, 23.5
	p.Y.Min, p.Y.Max = -0.5, 6.5
	return p, nil
}

// trendSVG draws the weekly interruptions as bars stacked by period.
func trendSVG(weeks []Week) (htmltemplate.HTML, error) {
	p, err := trendPlot(weeks)
	if err != nil {
		return "", err
	}
	return drawSVG(p, vg.Points(720), vg.Points(260))
}

func trendPlot(weeks []Week) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = "interruptions"
	n := len(weeks)
	bus, off, slp := make(plotter.Values, n), make(plotter.Values, n), make(plotter.Values, n)
	names := make([]string, n)
	var top int64
	for i, w := range weeks {
		bus[i] = float64(w.Interruptions.Business)
		off[i] = float64(w.Interruptions.OffHours)
		slp[i] = float64(w.Interruptions.Sleep)
		names[i] = w.Start[5:] // MM-DD: the year is in the report's header
		if w.Partial {
			names[i] += "*" // explained under the chart: not a drop in load
		}
		top = max(top, w.Total)
	}
	width := vg.Points(max(6, min(48, 560/float64(max(n, 1))*0.6)))
	var prev *plotter.BarChart
	for _, s := range []struct {
		v   plotter.Values
		c   color.Color
		lbl string
	}{{bus, colBusiness, "business"}, {off, colOffHours, "off hours"}, {slp, colSleep, "sleep"}} {
		bc, err := plotter.NewBarChart(s.v, width)
		if err != nil {
			return nil, fmt.Errorf("trend chart: %w", err)
		}
		bc.Color = s.c
		bc.LineStyle.Width = 0
		if prev != nil {
			bc.StackOn(prev)
		}
		prev = bc
		p.Add(bc)
		p.Legend.Add(s.lbl, bc)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.NominalX(names...)
	p.Y.Tick.Marker = wholeTicks{}
	p.Y.Min, p.Y.Max = 0, float64(max(top, 1))*1.25 // headroom for the legend
	return p, nil
}

// wholeTicks labels the default ticks without trailing zeros: counts are
// whole numbers ("25", not "25.00").
type wholeTicks struct{}

func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64)
		}
	}
	return ts
}

// svgProlog is what precedes <svg: the XML declaration and a comment, which
// do not belong inside HTML.
var (
	svgProlog = regexp.MustCompile(`(?s)^.*?<svg`)
	// The namespace declarations are URIs, not fetches, but the report
	// promises no URL at all; the HTML parser puts <svg> in the SVG
	// namespace without them.
	svgXMLNS = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
)

func drawSVG(p *plot.Plot, w, h vg.Length) (htmltemplate.HTML, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", fmt.Errorf("chart svg: %w", err)
	}
	s := svgProlog.ReplaceAllString(b.String(), "<svg")
	s = svgXMLNS.ReplaceAllString(s, "")
	// The SVG is produced by our own code from numbers and fixed labels;
	// vgsvg escapes text it draws. Marking it safe is what inlines it.
	return htmltemplate.HTML(s), nil //nolint:gosec // generated, escaped SVG
}
