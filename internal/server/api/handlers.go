package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/export"
	"github.com/pagerlens/pagerlens/exporters/report"
)

// params reads a request's query string: only the keys an endpoint knows,
// so that a misspelt one is a 400, not a silent default.
type params struct {
	q     url.Values
	known []string
}

func newParams(r *http.Request, known ...string) (params, error) {
	q := r.URL.Query()
	for k := range q {
		if !slices.Contains(known, k) {
			return params{}, badRequest("unknown parameter %q: this endpoint takes %s", k, strings.Join(known, ", "))
		}
	}
	return params{q: q, known: known}, nil
}

func (p params) get(k string) string { return p.q.Get(k) }

// now is the now parameter (RFC 3339); ok is false when it is absent.
func (p params) now() (t time.Time, ok bool, err error) {
	s := p.q.Get("now")
	if s == "" {
		return time.Now().UTC(), false, nil
	}
	t, err = time.Parse(time.RFC3339, s)
	if err != nil {
		return t, false, badRequest("now=%q: want an RFC 3339 time such as 2026-03-09T00:00:00Z", s)
	}
	return t.UTC(), true, nil
}

// window is the one window parameter (default 30d).
func (p params) window() (analytics.Window, error) {
	s := p.q.Get("window")
	if s == "" {
		s = "30d"
	}
	w, err := analytics.ParseWindow(s)
	if err != nil {
		return w, badRequest("window=%q: %v", s, err)
	}
	return w, nil
}

// snapshot answers GET /api/v1/snapshot?window=30d[,7d…][&now=T][&team=…]:
// the JSON machine format of `pagerlens metrics` (docs/metrics.md),
// limited to the windows asked (default: serve's) and one team if asked.
// Without now it is the snapshot /metrics serves, if that has the windows.
func (a *API) snapshot(w http.ResponseWriter, r *http.Request) error {
	p, err := newParams(r, "window", "now", "team")
	if err != nil {
		return err
	}
	now, nowGiven, err := p.now()
	if err != nil {
		return err
	}
	var wins []analytics.Window
	for _, v := range p.q["window"] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			win, err := analytics.ParseWindow(s)
			if err != nil {
				return badRequest("window=%q: %v", s, err)
			}
			wins = append(wins, win)
		}
	}
	if len(wins) == 0 {
		wins = a.o.Analytics.Windows
	}
	names := make([]string, len(wins))
	for i, win := range wins {
		names[i] = win.Name
	}
	snap := a.o.Cached()
	if nowGiven || snap == nil || !hasAll(snap.Windows, names) {
		release, err := a.acquire(w)
		if err != nil {
			return err
		}
		defer release()
		cfg := a.o.Analytics
		cfg.Now = now
		cfg.Windows = wins
		if snap, err = analytics.Compute(r.Context(), a.o.Store, cfg); err != nil {
			return err
		}
	}
	out := Narrow(snap, names, p.get("team"))
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(b.Bytes())
	return err
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// Narrow is a copy of s with only the rows of windows (in that order in
// Windows) and, if team is not empty, of that team: every row type with a
// Window or Team field is filtered, so a section added to the snapshot
// later is narrowed too. Rows without those fields are kept. s is not
// changed (it may be the one /metrics serves).
func Narrow(s *analytics.Snapshot, windows []string, team string) *analytics.Snapshot {
	out := *s
	out.Windows = append([]string(nil), windows...)
	narrowStruct(reflect.ValueOf(&out).Elem(), windows, team)
	return &out
}

func narrowStruct(v reflect.Value, windows []string, team string) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch {
		case f.Kind() == reflect.Struct && v.Type().Field(i).Anonymous:
			narrowStruct(f, windows, team)
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
			if f.IsNil() {
				continue
			}
			kept := reflect.MakeSlice(f.Type(), 0, f.Len())
			for j := 0; j < f.Len(); j++ {
				if keepRow(f.Index(j), windows, team) {
					kept = reflect.Append(kept, f.Index(j))
				}
			}
			f.Set(kept)
		}
	}
}

func keepRow(row reflect.Value, windows []string, team string) bool {
	if w := row.FieldByName("Window"); w.IsValid() && w.Kind() == reflect.String && !slices.Contains(windows, w.String()) {
		return false
	}
	if t := row.FieldByName("Team"); team != "" && t.IsValid() && t.Kind() == reflect.String && t.String() != team {
		return false
	}
	return true
}

// report answers GET /report/fatigue?window=30d[&team=…][&format=html|md|json][&now=T]:
// the report `pagerlens report fatigue` writes, rendered now.
func (a *API) report(w http.ResponseWriter, r *http.Request) error {
	p, err := newParams(r, "window", "now", "team", "format")
	if err != nil {
		return err
	}
	fs := p.get("format")
	if fs == "" {
		fs = "html"
	}
	f, err := report.ParseFormat(fs)
	if err != nil {
		return badRequest("format=%q: want html, md or json", fs)
	}
	now, _, err := p.now()
	if err != nil {
		return err
	}
	win, err := p.window()
	if err != nil {
		return err
	}
	cfg := a.o.Analytics
	cfg.Now = now
	cfg.Windows = []analytics.Window{win}
	rep, err := report.Build(r.Context(), a.o.Store, report.Options{Config: cfg, Window: win, Team: p.get("team")})
	if err != nil {
		return err
	}
	// Rendered whole before the first byte: an error is a status, never
	// half a page.
	var b bytes.Buffer
	if err := rep.Write(&b, f); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType(string(f)))
	_, err = w.Write(b.Bytes())
	return err
}

func contentType(format string) string {
	switch format {
	case "html":
		return "text/html; charset=utf-8"
	case "md":
		return "text/markdown; charset=utf-8"
	case "json":
		return "application/json"
	case "csv":
		return "text/csv; charset=utf-8"
	case "jsonl":
		return "application/x-ndjson"
	case "parquet":
		return "application/vnd.apache.parquet"
	}
	return "text/plain; charset=utf-8"
}

// export answers GET /api/v1/export?what=…&format=csv|parquet|jsonl[&window=30d][&team=…][&now=T]
// (a fatigue_report or handover: html, md or json):
// the file `pagerlens export` writes, streamed; its name is in
// Content-Disposition.
func (a *API) export(w http.ResponseWriter, r *http.Request) error {
	p, err := newParams(r, "what", "format", "window", "now", "team")
	if err != nil {
		return err
	}
	now, _, err := p.now()
	if err != nil {
		return err
	}
	what := export.What(p.get("what"))
	format := p.get("format")
	if format == "" {
		format = export.CSV
		if what == export.FatigueReport || what == export.Handover {
			format = "html"
		}
	}
	win := p.get("window")
	if win == "" {
		win = "30d"
	}
	job := export.Job{Name: string(what), What: what, Format: format, Window: win, Team: p.get("team"), Dir: ".", Retention: -1}
	if err := job.Validate(); err != nil {
		return badRequest("%v", err)
	}
	name, err := job.FileName(now)
	if err != nil {
		return badRequest("%v", err)
	}
	ext := format
	if what == export.FatigueReport || what == export.Handover {
		f, _ := report.ParseFormat(format)
		ext = string(f)
	}
	// export.Stream computes everything before its first byte: the
	// headers go out with it, and an error before is a status.
	hw := &headerOnWrite{w: w, set: func(h http.Header) {
		h.Set("Content-Type", contentType(ext))
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	}}
	return export.Stream(r.Context(), a.o.Store, job, now, a.o.Analytics, hw)
}

// headerOnWrite sets headers just before the first byte.
type headerOnWrite struct {
	w       http.ResponseWriter
	set     func(http.Header)
	started bool
}

func (h *headerOnWrite) Write(b []byte) (int, error) {
	if !h.started {
		h.started = true
		h.set(h.w.Header())
	}
	return h.w.Write(b)
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pagerlens</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:0 .2em}</style>
</head><body>
<h1>pagerlens</h1>
<p>One process owns the store; ask it here (docs/operations.md, "HTTP API").</p>
<h2>Reports</h2>
<ul>{{range .Windows}}
<li>Pager fatigue, last {{.}}: <a href="report/fatigue?window={{.}}">HTML</a> · <a href="report/fatigue?window={{.}}&amp;format=md">Markdown</a> · <a href="report/fatigue?window={{.}}&amp;format=json">JSON</a></li>{{end}}
</ul>
<h2>Data</h2>
<ul>
<li><a href="api/v1/snapshot">api/v1/snapshot</a>: every figure, the JSON of <code>pagerlens metrics --format json</code> (<code>?window=30d&amp;team=…&amp;now=…</code>)</li>
<li>api/v1/export<code>?what=mttx|alert_quality|oncall_load|incidents|fatigue_report|handover&amp;format=csv|parquet|jsonl&amp;window=30d</code>, e.g. <a href="api/v1/export?what=incidents&amp;format=csv">incidents.csv</a></li>
<li>POST api/v1/sql (read-only SQL): {{if .SQL}}on, at most {{.MaxRows}} rows, {{.Timeout}} per query{{else}}off (<code>api: {sql: true}</code> in serve's config){{end}}</li>
</ul>
<h2>Prometheus</h2>
<ul>
<li><a href="metrics">metrics</a> · <a href="healthz">healthz</a> · <a href="readyz">readyz</a></li>
<li>Grafana: <code>pagerlens dashboards write --dir DIR</code> writes the dashboards and their provisioning files (docs/dashboards.md).</li>
</ul>
</body></html>
`))

// index answers GET /: links to every endpoint and the report of each
// configured window.
func (a *API) index(w http.ResponseWriter, _ *http.Request) error {
	var wins []string
	for _, win := range a.o.Analytics.Windows {
		wins = append(wins, win.Name)
	}
	var b bytes.Buffer
	err := indexPage.Execute(&b, struct {
		Windows []string
		SQL     bool
		MaxRows int
		Timeout time.Duration
	}{wins, a.o.SQL, a.o.MaxRows, a.o.Timeout})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = b.WriteTo(w)
	return err
}
