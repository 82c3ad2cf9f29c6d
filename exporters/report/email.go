package report

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// EmailImage is a chart drawn as PNG for an email, which the email's HTML
// refers to as cid:<Name>.
type EmailImage struct {
	Name string // chart-1.png, …: also its Content-ID
	PNG  []byte
}

// emailBase is the HTML template for EmailHTML, never executed itself:
// html/template cannot clone a template once it has run, and EmailHTML
// clones one per call to bind its own chart functions.
var emailBase = htmltemplate.Must(htmltemplate.Must(htmltemplate.New("html").Funcs(funcs).Funcs(htmltemplate.FuncMap{
	"heatSVG":  heatmapSVG,
	"trendSVG": trendSVG,
	"heatCell": heatCellStyle,
}).Parse(htmlSource)).Parse(notesSource))

// emailDPI draws the charts at 96 dpi: 720 pt is 960 pixels, sharp when a
// client scales the image down to 720 pixels.
const emailDPI = 96

// EmailHTML renders the HTML report for a mail client. Most clients do not
// show inline SVG, so each chart is drawn as a PNG, returned beside the HTML
// to go in the message as an inline part, and the HTML holds an <img> with
// its cid: instead of the <svg>; everything else is the HTML rendering. The
// file an export writes keeps the SVG (self-contained, one file).
func (r *Report) EmailHTML() ([]byte, []EmailImage, error) {
	var imgs []EmailImage
	png := func(p *plot.Plot, err error, h vg.Length, alt string) (htmltemplate.HTML, error) {
		if err != nil {
			return "", err
		}
		c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(vg.Points(720), h), vgimg.UseDPI(emailDPI))}
		p.Draw(draw.New(c))
		var b bytes.Buffer
		if _, err := c.WriteTo(&b); err != nil {
			return "", fmt.Errorf("chart png: %w", err)
		}
		name := fmt.Sprintf("chart-%d.png", len(imgs)+1)
		imgs = append(imgs, EmailImage{Name: name, PNG: b.Bytes()})
		return htmltemplate.HTML(fmt.Sprintf(`<img src="cid:%s" alt="%s" width="720" style="max-width:100%%;height:auto">`, //nolint:gosec // our own name and escaped alt text
			name, htmltemplate.HTMLEscapeString(alt))), nil
	}
	t, err := emailBase.Clone()
	if err != nil {
		return nil, nil, fmt.Errorf("report email html: %w", err)
	}
	t.Funcs(htmltemplate.FuncMap{
		"heatSVG": func(h Heatmap) (htmltemplate.HTML, error) {
			p, err := heatmapPlot(h)
			return png(p, err, vg.Points(250), "interruptions by local weekday and hour")
		},
		"trendSVG": func(ws []Week) (htmltemplate.HTML, error) {
			p, err := trendPlot(ws)
			return png(p, err, vg.Points(260), "interruptions per week")
		},
	})
	var b bytes.Buffer
	if err := t.Execute(&b, r); err != nil {
		return nil, nil, fmt.Errorf("report email html: %w", err)
	}
	return b.Bytes(), imgs, nil
}
