package export_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/deliver"
	"github.com/pagerlens/pagerlens/exporters/export"
	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// A scheduled run delivers the written report: the webhook receives the
// report's JSON machine format and Slack a Block Kit message with a team
// section per team; a receiver that always fails is counted as a failed
// delivery while the run succeeds and its file stays.
func TestScheduledRunDelivers(t *testing.T) {
	st := testkit.SynthStore(t, fixedNow)
	var mu sync.Mutex
	got := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = b
		mu.Unlock()
		if r.URL.Path == "/down" {
			http.Error(w, "down", http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	slackURL := filepath.Join(t.TempDir(), "slack.url")
	if err := os.WriteFile(slackURL, []byte(srv.URL+"/slack\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	job := export.Job{Name: "weekly-fatigue", Schedule: "0 9 * * 1", What: export.FatigueReport, Format: "html", Dir: dir,
		Deliver: []deliver.Target{
			{Webhook: &deliver.Webhook{URL: srv.URL + "/reports"}},
			{Slack: &deliver.Slack{WebhookURLFile: slackURL}},
			{Webhook: &deliver.Webhook{URL: srv.URL + "/down"}},
		}}
	s, err := export.New(export.Options{Registerer: reg, Jobs: []export.Job{job}, Store: st,
		Analytics: analytics.DefaultConfig(fixedNow), Clock: &fakeClock{now: fixedNow},
		Deliver: deliver.Options{Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	m := gather(t, reg)
	for _, k := range []string{
		`pagerlens_export_deliveries_total{export="weekly-fatigue",outcome="failure",target="slack"}`,
		`pagerlens_export_deliveries_total{export="weekly-fatigue",outcome="success",target="webhook"}`,
	} {
		if v, ok := m[k]; !ok || v != 0 {
			t.Errorf("%s = %v (present %v) before any run, want 0", k, v, ok)
		}
	}
	if err := s.RunJob(context.Background(), s.Jobs()[0], fixedNow); err != nil {
		t.Fatalf("run failed: %v", err)
	}
	var rep report.Report
	if err := json.Unmarshal(got["/reports"], &rep); err != nil || len(rep.Teams) != 2 {
		t.Fatalf("webhook body is not the report's JSON (%v): %.200s", err, got["/reports"])
	}
	var msg struct {
		Blocks []struct {
			Type   string `json:"type"`
			Fields []struct {
				Text string `json:"text"`
			} `json:"fields"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(got["/slack"], &msg); err != nil {
		t.Fatal(err)
	}
	teams := 0
	for _, b := range msg.Blocks {
		if len(b.Fields) > 0 {
			teams++
			if !strings.HasPrefix(b.Fields[0].Text, "*Interruptions*\n") || !strings.HasPrefix(b.Fields[4].Text, "*Week's trend*\n") {
				t.Errorf("team fields %+v", b.Fields)
			}
		}
	}
	if teams != 2 {
		t.Errorf("%d team sections in the Slack message, want 2", teams)
	}
	m = gather(t, reg)
	for k, want := range map[string]float64{
		`pagerlens_export_runs_total{export="weekly-fatigue",outcome="success"}`:                        1,
		`pagerlens_export_deliveries_total{export="weekly-fatigue",outcome="success",target="webhook"}`: 1,
		`pagerlens_export_deliveries_total{export="weekly-fatigue",outcome="failure",target="webhook"}`: 1,
		`pagerlens_export_deliveries_total{export="weekly-fatigue",outcome="success",target="slack"}`:   1,
	} {
		if v := m[k]; v != want {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
	if n := names(t, dir); len(n) != 1 || !strings.HasSuffix(n[0], ".html") {
		t.Errorf("export dir holds %v, want the report", n)
	}
}

// WeekTrend compares the last two whole weeks only.
func TestWeekTrend(t *testing.T) {
	w := func(start string, total int64, partial bool) report.Week {
		return report.Week{Start: start, Total: total, Partial: partial}
	}
	for _, tc := range []struct {
		weeks []report.Week
		want  string
	}{
		{[]report.Week{w("2026-11-09", 1, true), w("2026-11-16", 4, false), w("2026-11-23", 7, false), w("2026-11-30", 0, true)}, "↑ 7 vs 4 (week of 2026-11-23)"},
		{[]report.Week{w("2026-11-16", 5, false), w("2026-11-23", 2, false)}, "↓ 2 vs 5 (week of 2026-11-23)"},
		{[]report.Week{w("2026-11-16", 3, false), w("2026-11-23", 3, false)}, "→ 3 vs 3 (week of 2026-11-23)"},
		{[]report.Week{w("2026-11-30", 3, true), w("2026-12-07", 3, false)}, "– (needs two whole weeks in the window)"},
	} {
		if got := export.WeekTrend(tc.weeks); got != tc.want {
			t.Errorf("WeekTrend = %q, want %q", got, tc.want)
		}
	}
}

// A fatigue report in HTML with delivery targets carries the email
// rendering: its charts as PNG parts referred to by cid:.
func TestRunCarriesEmailCharts(t *testing.T) {
	st := testkit.SynthStore(t, fixedNow)
	job := export.Job{Name: "r", What: export.FatigueReport, Format: "html", Dir: t.TempDir(),
		Deliver: []deliver.Target{{Webhook: &deliver.Webhook{URL: "https://hooks.example.com/r"}}}}
	res, err := export.Run(context.Background(), st, job, fixedNow, analytics.DefaultConfig(fixedNow))
	if err != nil {
		t.Fatal(err)
	}
	w := res.Written
	// 2 teams × (heat map, trend).
	if len(w.Inline) != 4 {
		t.Fatalf("%d inline images, want 4", len(w.Inline))
	}
	for _, im := range w.Inline {
		if im.ContentType != "image/png" || !strings.Contains(string(w.EmailHTML), "cid:"+im.Name) {
			t.Errorf("%s (%s) not referred to by the email HTML", im.Name, im.ContentType)
		}
	}
	if w.Path != res.Path || w.Format != "html" || len(w.JSON) == 0 || len(w.Summary.Teams) != 2 {
		t.Errorf("written %+v", w.Summary)
	}
}
