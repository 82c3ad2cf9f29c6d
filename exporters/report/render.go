package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

// Format is a rendering of the report.
type Format string

// The report formats.
const (
	HTML     Format = "html"
	Markdown Format = "md"
	JSON     Format = "json"
)

// ParseFormat accepts html, md (or markdown) and json.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "html":
		return HTML, nil
	case "md", "markdown":
		return Markdown, nil
	case "json":
		return JSON, nil
	}
	return "", fmt.Errorf("report format %q: want html, md or json", s)
}

// Ext is the file extension of the format, without the dot.
func (f Format) Ext() string { return string(f) }

//go:embed templates/report.md.tmpl
var mdSource string

//go:embed templates/report.html.tmpl
var htmlSource string

//go:embed templates/notes.tmpl
var notesSource string

var weekdays = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// funcs are shared by both templates; each returns plain text, which
// html/template escapes in the HTML rendering.
var funcs = map[string]any{
	"team":       teamLabel,
	"pct":        pct,
	"dur":        func(sec float64) string { return hours(sec) },
	"score":      func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"fatigue":    fatigue,
	"num":        func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
	"join":       func(xs []string) string { return strings.Join(xs, ", ") },
	"half":       func(f float64) float64 { return f / 2 },
	"sleepEquiv": sleepEquiv,
	"days":       days,
	"anyPartial": anyPartial,
	"gini":       func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"ratio":      ratio,
	"date":       func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"md":         mdCell,
	"heatText":   heatText,
	"bar":        bar,
	"maxWeek":    maxWeek,
	"weekdays":   func() [7]string { return weekdays },
	"add":        func(a, b int) int { return a + b },
	"rules":      func() []Rule { return Rules },
	"dash":       dash,
}

var (
	mdTmpl   = texttemplate.Must(texttemplate.Must(texttemplate.New("md").Funcs(funcs).Parse(mdSource)).Parse(notesSource))
	htmlTmpl = htmltemplate.Must(htmltemplate.Must(htmltemplate.New("html").Funcs(funcs).Funcs(htmltemplate.FuncMap{
		"heatSVG":  heatmapSVG,
		"trendSVG": trendSVG,
		"heatCell": heatCellStyle,
	}).Parse(htmlSource)).Parse(notesSource))
)

// Write renders r in format f to w.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("report json: %w", err)
		}
		return nil
	case Markdown:
		if err := mdTmpl.Execute(w, r); err != nil {
			return fmt.Errorf("report markdown: %w", err)
		}
		return nil
	case HTML:
		// Render into a buffer first: a chart error half-way must not leave
		// a truncated file that looks like a report.
		var b bytes.Buffer
		if err := htmlTmpl.Execute(&b, r); err != nil {
			return fmt.Errorf("report html: %w", err)
		}
		_, err := b.WriteTo(w)
		return err
	}
	return fmt.Errorf("report: unknown format %q", f)
}

// fatigue prints a score with its level: "77.2 (high)".
func fatigue(score float64, level string) string {
	if level == "" {
		return fmt.Sprintf("%.1f", score)
	}
	return fmt.Sprintf("%.1f (%s)", score, level)
}

// sleepEquiv is how many sleep-hours interruptions in a week reach the
// fatigue limit (7 with the defaults: one a night), "" when that is not a
// whole number or there is no sleep weight.
func sleepEquiv(s Settings) string {
	if s.FatigueWeights.Sleep <= 0 {
		return ""
	}
	n := s.FatigueLimit / s.FatigueWeights.Sleep
	if n != math.Trunc(n) || n < 1 {
		return ""
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// days prints the days of a week in the window: "2", "3.5".
func days(d float64) string { return strconv.FormatFloat(d, 'f', -1, 64) }

// anyPartial says whether the trend has a partial week to explain.
func anyPartial(ws []Week) bool {
	for _, w := range ws {
		if w.Partial {
			return true
		}
	}
	return false
}

func teamLabel(t string) string {
	if t == "" {
		return "(no team)"
	}
	return t
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func ratio(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f×", *p)
}

// hours prints seconds as "3d 4h", "5h 12m" or "7m": the precision a person
// reads on-call time and engaged time at.
func hours(sec float64) string {
	d := time.Duration(math.Round(sec)) * time.Second
	switch {
	case d <= 0:
		return "0m"
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", d/(24*time.Hour), (d%(24*time.Hour))/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", d/time.Hour, (d%time.Hour)/time.Minute)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

// mdCell makes s safe inside a Markdown table cell: a pipe would end the
// cell and a newline the row.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

// heatLevels are the glyphs of the text heat map, from none to the max.
var heatLevels = []string{"·", "░", "▒", "▓", "█"}

// heatLevel maps n to 0 (none) … 4 (the top quarter of max).
func heatLevel(n, maxN int64) int {
	if n <= 0 || maxN <= 0 {
		return 0
	}
	return int(math.Ceil(4 * float64(n) / float64(maxN)))
}

// heatText draws the heat map as 7 lines of 24 glyphs (one per local hour)
// for a code block, where a chat client keeps the columns aligned.
func heatText(h Heatmap) string {
	var b strings.Builder
	b.WriteString("     0     6     12    18\n")
	for d, row := range h.Counts {
		b.WriteString(weekdays[d] + "  ")
		for _, n := range row {
			b.WriteString(heatLevels[heatLevel(n, h.Max)])
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// bar is a text bar of n out of maxN, at most 20 cells wide.
func bar(n, maxN int64) string {
	if n <= 0 || maxN <= 0 {
		return ""
	}
	w := int(math.Ceil(20 * float64(n) / float64(maxN)))
	return strings.Repeat("█", w)
}

func maxWeek(ws []Week) int64 {
	var m int64
	for _, w := range ws {
		m = max(m, w.Total)
	}
	return m
}

// heatCellStyle colours an HTML heat-map cell: the same ramp as the chart.
func heatCellStyle(n, maxN int64) htmltemplate.CSS {
	c := rampColor(n, maxN)
	r, g, b, _ := c.RGBA()
	return htmltemplate.CSS(fmt.Sprintf("background:#%02x%02x%02x", r>>8, g>>8, b>>8))
}
