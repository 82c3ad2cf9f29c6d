package handover

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/report"
)

// Write renders d in f (the fatigue report's formats: html, md, json).
func (d *Digest) Write(w io.Writer, f report.Format) error {
	switch f {
	case report.JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("handover json: %w", err)
		}
		return nil
	case report.Markdown:
		if err := mdTmpl.Execute(w, d); err != nil {
			return fmt.Errorf("handover markdown: %w", err)
		}
		return nil
	case report.HTML:
		var b bytes.Buffer
		if err := htmlTmpl.Execute(&b, d); err != nil {
			return fmt.Errorf("handover html: %w", err)
		}
		_, err := b.WriteTo(w)
		return err
	}
	return fmt.Errorf("handover: unknown format %q", f)
}

// TeamLabel names a team for a reader: "(no team)" for "".
func TeamLabel(t string) string {
	if t == "" {
		return "(no team)"
	}
	return t
}

// Age prints seconds as "3d 4h", "5h 12m" or "7m".
func Age(sec float64) string {
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

// ShiftLine words one on-call row: "alice (primary) since 2026-12-07 09:00
// UTC, until 2026-12-14 09:00 UTC" or "bob (primary) from … (next)".
func ShiftLine(s analytics.OnCallShift) string {
	var b strings.Builder
	b.WriteString(s.Responder)
	if s.Schedule != "" {
		b.WriteString(" (" + s.Schedule + ")")
	}
	if s.Current {
		b.WriteString(" on call since " + stamp(s.Start))
	} else {
		b.WriteString(" next, from " + stamp(s.Start))
	}
	if s.End != nil {
		b.WriteString(" until " + stamp(*s.End))
	}
	return b.String()
}

// IncidentLine words one open incident.
func IncidentLine(o analytics.OpenIncident) string {
	var parts []string
	for _, p := range []string{o.Service, o.Severity} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	s := o.IncidentID
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	s += ", open " + Age(o.AgeSeconds)
	if o.AcknowledgedBy != "" {
		s += ", acknowledged by " + o.AcknowledgedBy
	} else {
		s += ", not acknowledged"
	}
	return s
}

// AlertLine words one alert to tune with its advice.
func AlertLine(a report.Alert) string {
	name := a.AlertName
	if a.Service != "" {
		name = a.Service + "/" + name
	}
	return fmt.Sprintf("%s (%d alerts, %d actionable): %s", name, a.Alerts, a.Actionable, a.Recommendation)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

var funcs = map[string]any{
	"team": TeamLabel, "shift": ShiftLine, "incident": IncidentLine, "alert": AlertLine, "date": stamp,
	"md": func(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) },
}

const mdSource = `# On-call handover, {{.Window}} to {{date .Now}}

The shift from {{date .From}} to {{date .Now}}{{if .TeamFilter}}, team {{.TeamFilter}}{{end}}.
{{if not .Teams}}
Nothing happened in the shift and nobody is on call per the shift events.
{{end}}{{range .Teams}}
## {{team .Team}}

| Incidents | Pages | Sleep interruptions | Nights interrupted | Open, handed over |
|---:|---:|---:|---:|---:|
| {{.Incidents}} | {{.Pages}} | {{.SleepInterruptions}} | {{.NightsInterrupted}} | {{len .OpenIncidents}} |
{{if .OpenIncidents}}
Open incidents handed over:
{{range .OpenIncidents}}
- {{md (incident .)}}{{end}}
{{end}}{{if .AlertsToTune}}
Alerts to tune:
{{range .AlertsToTune}}
- {{md (alert .)}}{{end}}
{{end}}{{if .OnCall}}
On call:
{{range .OnCall}}
- {{md (shift .)}}{{end}}
{{else}}
On call: no shift events for this team.
{{end}}{{end}}`

const htmlSource = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>On-call handover, {{.Window}} to {{date .Now}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .6rem; text-align: right; }
h2 { border-bottom: 1px solid #ddd; margin-top: 2rem; }
</style></head><body>
<h1>On-call handover, {{.Window}} to {{date .Now}}</h1>
<p>The shift from {{date .From}} to {{date .Now}}{{if .TeamFilter}}, team {{.TeamFilter}}{{end}}.</p>
{{if not .Teams}}<p>Nothing happened in the shift and nobody is on call per the shift events.</p>{{end}}
{{range .Teams}}<h2>{{team .Team}}</h2>
<table><tr><th>Incidents</th><th>Pages</th><th>Sleep interruptions</th><th>Nights interrupted</th><th>Open, handed over</th></tr>
<tr><td>{{.Incidents}}</td><td>{{.Pages}}</td><td>{{.SleepInterruptions}}</td><td>{{.NightsInterrupted}}</td><td>{{len .OpenIncidents}}</td></tr></table>
{{if .OpenIncidents}}<h3>Open incidents handed over</h3><ul>{{range .OpenIncidents}}<li>{{incident .}}</li>{{end}}</ul>{{end}}
{{if .AlertsToTune}}<h3>Alerts to tune</h3><ul>{{range .AlertsToTune}}<li>{{alert .}}</li>{{end}}</ul>{{end}}
<h3>On call</h3>{{if .OnCall}}<ul>{{range .OnCall}}<li>{{shift .}}</li>{{end}}</ul>{{else}}<p>No shift events for this team.</p>{{end}}
{{end}}</body></html>
`

var (
	mdTmpl   = texttemplate.Must(texttemplate.New("md").Funcs(funcs).Parse(mdSource))
	htmlTmpl = htmltemplate.Must(htmltemplate.New("html").Funcs(funcs).Parse(htmlSource))
)
