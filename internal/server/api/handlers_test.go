package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/export"
	"github.com/pagerlens/pagerlens/exporters/report"
)

const nowParam = "2026-03-09T00:00:00Z" // end

// The snapshot endpoint is the JSON of analytics.Compute for the windows
// and team asked, from the cached snapshot or computed at now.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	var cached *analytics.Snapshot
	s := serve(t, Options{Cached: func() *analytics.Snapshot { return cached }}, "")
	cfg := analytics.DefaultConfig(end)
	full, err := analytics.Compute(ctx, s.st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Responders) == 0 || len(full.Incidents) == 0 {
		t.Fatal("the synthetic store has no figures: the test would prove nothing")
	}
	team := full.Responders[0].Team
	get := func(query string) *analytics.Snapshot {
		t.Helper()
		code, body, h := do(t, "GET", s.url+"/api/v1/snapshot"+query, "")
		if code != 200 || h.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		var got analytics.Snapshot
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		return &got
	}
	same := func(name string, got, want *analytics.Snapshot) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			t.Errorf("%s: the answer differs from analytics.Compute's", name)
		}
	}
	same("computed at now", get("?now="+nowParam), full)
	same("one window", get("?now="+nowParam+"&window=30d"), Narrow(full, []string{"30d"}, ""))
	narrowed := get("?now=" + nowParam + "&window=7d,30d&team=" + team)
	same("two windows, one team", narrowed, Narrow(full, []string{"7d", "30d"}, team))
	for _, r := range narrowed.Responders {
		if r.Team != team || r.Window == "90d" {
			t.Errorf("row of team %q window %q in the answer for %q, 7d,30d", r.Team, r.Window, team)
		}
	}
	// Without now: the cached snapshot, as is (a marker proves it).
	cached = Narrow(full, full.Windows, "")
	cached.Now = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := get("?window=30d"); !got.Now.Equal(cached.Now) {
		t.Errorf("without now: the snapshot of %s, want the cached one", got.Now)
	}
	if cached.Windows[0] != full.Windows[0] || len(cached.Responders) != len(full.Responders) {
		t.Error("the cached snapshot was changed by a request")
	}
	// A window the cache lacks is computed.
	if got := get("?window=12h"); got.Now.Equal(cached.Now) || len(got.Windows) != 1 || got.Windows[0] != "12h" {
		t.Errorf("window 12h: %v %v, want it computed now", got.Now, got.Windows)
	}
}

// Narrow on a hand-made snapshot: rows outside the windows or of another
// team go, rows without those fields stay.
func TestNarrow(t *testing.T) {
	s := &analytics.Snapshot{
		Windows: []string{"7d", "30d"},
		Responders: []analytics.ResponderLoad{
			{Window: "7d", Team: "a", Responder: "r1"},
			{Window: "30d", Team: "a", Responder: "r1"},
			{Window: "30d", Team: "b", Responder: "r2"},
		},
		OldestOpen: []analytics.OldestOpen{{Team: "a"}, {Team: "b"}},
	}
	got := Narrow(s, []string{"30d"}, "a")
	if len(got.Responders) != 1 || got.Responders[0].Window != "30d" || got.Responders[0].Team != "a" {
		t.Errorf("responders %+v, want the one 30d row of a", got.Responders)
	}
	if len(got.OldestOpen) != 1 || got.OldestOpen[0].Team != "a" {
		t.Errorf("oldest open %+v, want a's", got.OldestOpen)
	}
	if !reflect.DeepEqual(got.Windows, []string{"30d"}) || len(s.Responders) != 3 || len(s.Windows) != 2 {
		t.Errorf("windows %v; the input changed: %d rows, %v", got.Windows, len(s.Responders), s.Windows)
	}
	if all := Narrow(s, []string{"7d", "30d"}, ""); len(all.Responders) != 3 || len(all.OldestOpen) != 2 {
		t.Errorf("no team: %d, %d rows, want all", len(all.Responders), len(all.OldestOpen))
	}
}

// The report is the one `pagerlens report fatigue` writes.
func TestReport(t *testing.T) {
	s := serve(t, Options{}, "")
	win, _ := analytics.ParseWindow("7d")
	cfg := analytics.DefaultConfig(end)
	cfg.Windows = []analytics.Window{win}
	r, err := report.Build(context.Background(), s.st, report.Options{Config: cfg, Window: win})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []report.Format{report.HTML, report.Markdown, report.JSON} {
		var want bytes.Buffer
		if err := r.Write(&want, f); err != nil {
			t.Fatal(err)
		}
		code, body, _ := do(t, "GET", s.url+"/report/fatigue?window=7d&now="+nowParam+"&format="+string(f), "")
		if code != 200 || body != want.String() {
			t.Errorf("%s: %d, %d bytes, want %d bytes equal to report.Write's", f, code, len(body), want.Len())
		}
	}
}

// Bad parameters are 400 with what is wrong.
func TestBadParameters(t *testing.T) {
	s := serve(t, Options{}, "")
	for path, want := range map[string]string{
		"/api/v1/snapshot?window=3x":                    `window="3x"`,
		"/api/v1/snapshot?now=yesterday":                `now="yesterday"`,
		"/api/v1/snapshot?windw=30d":                    `unknown parameter "windw"`,
		"/report/fatigue?format=pdf":                    `format="pdf"`,
		"/report/fatigue?window=0d":                     `window="0d"`,
		"/api/v1/export?what=everything":                `what "everything"`,
		"/api/v1/export?what=mttx&format=xlsx":          `format "xlsx"`,
		"/api/v1/export?what=fatigue_report&format=csv": `format "csv"`,
	} {
		code, body, _ := do(t, "GET", s.url+path, "")
		if code != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q, want 400 saying %s", path, code, body, want)
		}
	}
}

// An export is the file `pagerlens export` writes, streamed; Parquet too
// with the store locked down for SQL (its COPY runs in its own instance).
func TestExport(t *testing.T) {
	s := serve(t, Options{SQL: true}, "")
	cfg := analytics.DefaultConfig(end)
	for _, tt := range []struct{ what, format string }{
		{"mttx", "csv"}, {"oncall_load", "jsonl"}, {"incidents", "csv"}, {"alert_quality", "parquet"}, {"fatigue_report", "md"}, {"handover", "json"},
	} {
		dir := t.TempDir()
		job := export.Job{Name: tt.what, What: export.What(tt.what), Format: tt.format, Window: "30d", Dir: dir, Retention: -1}
		res, err := export.Run(context.Background(), s.st, job, end, cfg)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(res.Path)
		if err != nil {
			t.Fatal(err)
		}
		code, body, h := do(t, "GET", s.url+"/api/v1/export?what="+tt.what+"&format="+tt.format+"&window=30d&now="+nowParam, "")
		if code != 200 {
			t.Fatalf("%s %s: %d %s", tt.what, tt.format, code, body)
		}
		if !strings.Contains(h.Get("Content-Disposition"), filepath.Base(res.Path)) {
			t.Errorf("%s: Content-Disposition %q, want the name %s", tt.what, h.Get("Content-Disposition"), filepath.Base(res.Path))
		}
		if tt.format == "parquet" {
			// Parquet files carry no timestamp: equal bytes too, but
			// the magic number says what failed first.
			if !strings.HasPrefix(body, "PAR1") {
				t.Fatalf("parquet answer starts %q", body[:min(8, len(body))])
			}
		}
		if body != string(want) {
			t.Errorf("%s %s: %d bytes, want the %d of pagerlens export's file", tt.what, tt.format, len(body), len(want))
		}
	}
}

// Beyond max_concurrent, a 503 with Retry-After at once, counted; the
// index is not bounded.
func TestBusy(t *testing.T) {
	s := serve(t, Options{MaxConcurrent: 1}, "")
	s.api.slots <- struct{}{} // a request holds the one slot
	code, body, h := do(t, "GET", s.url+"/report/fatigue?now="+nowParam, "")
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(body, "api.max_concurrent") {
		t.Errorf("busy: %d %q (Retry-After %q), want 503", code, body, h.Get("Retry-After"))
	}
	if code, _, _ := do(t, "GET", s.url+"/", ""); code != 200 {
		t.Errorf("index while busy: %d", code)
	}
	// A snapshot to compute waits like a report; the cached one does not.
	if code, _, _ := do(t, "GET", s.url+"/api/v1/snapshot?now="+nowParam, ""); code != http.StatusServiceUnavailable {
		t.Errorf("snapshot to compute while busy: %d, want 503", code)
	}
	s.api.o.Cached = func() *analytics.Snapshot { return &analytics.Snapshot{Windows: []string{"7d", "30d", "90d"}} }
	if code, body, _ := do(t, "GET", s.url+"/api/v1/snapshot", ""); code != 200 {
		t.Errorf("cached snapshot while busy: %d %s, want 200", code, body)
	}
	<-s.api.slots
	if code, _, _ := do(t, "GET", s.url+"/report/fatigue?format=md&now="+nowParam, ""); code != 200 {
		t.Errorf("after the slot is free: %d", code)
	}
	if got := counter(t, s, EndpointSnapshot, "503"); got != 1 {
		t.Errorf("snapshot 503s counted %v, want 1", got)
	}
	if got := counter(t, s, EndpointReport, "503"); got != 1 {
		t.Errorf("report 503s counted %v, want 1", got)
	}
	if got := counter(t, s, EndpointReport, "200"); got != 1 {
		t.Errorf("report 200s counted %v, want 1", got)
	}
	// Every endpoint's 200 series is there from the start.
	if got, ok := series(t, s, EndpointExport, "200"); !ok || got != 0 {
		t.Errorf("export 200s: %v (present %v), want a series at 0", got, ok)
	}
	if _, ok := series(t, s, EndpointSQL, "200"); ok {
		t.Error("a sql series with the SQL API off")
	}
}

func TestIndex(t *testing.T) {
	s := serve(t, Options{}, "")
	code, body, h := do(t, "GET", s.url+"/", "")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", code, h.Get("Content-Type"))
	}
	for _, want := range []string{`href="report/fatigue?window=30d"`, `href="report/fatigue?window=90d&amp;format=md"`,
		`href="api/v1/snapshot"`, `href="metrics"`, "pagerlens dashboards", "off (<code>api: {sql: true}</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("index lacks %s", want)
		}
	}
}
