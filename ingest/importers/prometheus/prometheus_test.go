package prometheus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	promimport "github.com/pagerlens/pagerlens/ingest/importers/prometheus"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

// The history the tests import, as a Prometheus whose rule group evaluates
// every 15 s would have written it: evaluations at 7.25 s past each 15 s
// (Prometheus offsets each group by a hash of its name), so every sample
// and every expected time below ends in 07.25, 22.25, 37.25 or 52.25. The
// day is Monday 2026-03-02 (UTC); the import range is that day,
// [00:00, 24:00).
//
// Samples are backfilled with promtool, so there are no staleness markers:
// an end is seen by the sample that is missing, not by a marker (the
// harder case for the importer).
//
//	HighErrorRate  critical  payments/checkout  for: 2m
//	  pending 10:00:07.25 … 10:01:52.25 (never imported)
//	  A1 firing 10:02:07.25 … 10:14:52.25  → life 10:02:07.25 – 10:15:07.25 (13 min)
//	  A2 firing 10:40:07.25 … 10:43:07.25  → life 10:40:07.25 – 10:43:22.25 (3 min 15 s, transient)
//	  A3 firing 10:46:07.25 … 10:48:07.25  → life 10:46:07.25 – 10:48:22.25 (2 min 15 s, transient)
//	     A2 → A3 is 3 min: the series never vanishes from a range query
//	     (5-minute lookback), the jump between samples ends A2.
//	DiskFull       warning   storage (job node)
//	  B  firing 01:00:07.25 … 07:29:52.25 without the 04:00:07.25 sample
//	     (one missed evaluation: not a resolve) → life 01:00:07.25 – 07:30:07.25
//	Watchdog       none      no team
//	  C  firing since Sunday 20:00:07.25 through 23:59:52.25: traced back
//	     before the range, still firing at its end → trigger only
//	LatencyHigh    info      payments/checkout, in no rule group (the
//	                         global evaluation_interval applies)
//	  D  firing 12:00:07.25 … 12:00:37.25  → life 12:00:07.25 – 12:00:52.25 (45 s)
//	CPUHigh        pending only 13:00:07.25 … 13:00:52.25: never fired, nothing
//	HugeLabel      a 5,000-byte label value: firing 14:00:07.25 … 14:00:22.25;
//	               over the decoder's limits → one dead letter
//
// Prometheus's configuration adds external labels cluster=eu1 and
// replica=a, and its alert relabelling drops replica (an HA pair's usual
// set-up): the alerts Alertmanager receives carry cluster=eu1 only.

var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// at is a time of 2026-03-02 written "15:04:05.00".
func at(t *testing.T, hms string) time.Time {
	t.Helper()
	d, err := time.Parse("2006-01-02 15:04:05.00", "2026-03-02 "+hms)
	if err != nil {
		t.Fatal(err)
	}
	return d.UTC()
}

type alertSeries struct {
	labels  map[string]string // without __name__ and alertstate
	state   string
	from    time.Time
	to      time.Time   // inclusive
	missing []time.Time // evaluations that wrote no sample
}

var (
	lblA = map[string]string{"alertname": "HighErrorRate", "severity": "critical", "team": "payments", "service": "checkout", "instance": "api-1"}
	lblB = map[string]string{"alertname": "DiskFull", "severity": "warning", "team": "storage", "job": "node", "instance": "db-1"}
	lblC = map[string]string{"alertname": "Watchdog", "severity": "none"}
	lblD = map[string]string{"alertname": "LatencyHigh", "severity": "info", "team": "payments", "service": "checkout"}
	lblE = map[string]string{"alertname": "CPUHigh", "severity": "warning", "team": "payments"}
	lblF = map[string]string{"alertname": "HugeLabel", "detail": strings.Repeat("x", 5000)}
)

func history(t *testing.T) []alertSeries {
	return []alertSeries{
		{labels: lblA, state: "pending", from: at(t, "10:00:07.25"), to: at(t, "10:01:52.25")},
		{labels: lblA, state: "firing", from: at(t, "10:02:07.25"), to: at(t, "10:14:52.25")},
		{labels: lblA, state: "firing", from: at(t, "10:40:07.25"), to: at(t, "10:43:07.25")},
		{labels: lblA, state: "firing", from: at(t, "10:46:07.25"), to: at(t, "10:48:07.25")},
		{labels: lblB, state: "firing", from: at(t, "01:00:07.25"), to: at(t, "07:29:52.25"), missing: []time.Time{at(t, "04:00:07.25")}},
		{labels: lblC, state: "firing", from: at(t, "00:00:07.25").Add(-4 * time.Hour), to: at(t, "23:59:52.25")},
		{labels: lblD, state: "firing", from: at(t, "12:00:07.25"), to: at(t, "12:00:37.25")},
		{labels: lblE, state: "pending", from: at(t, "13:00:07.25"), to: at(t, "13:00:52.25")},
		{labels: lblF, state: "firing", from: at(t, "14:00:07.25"), to: at(t, "14:00:22.25")},
	}
}

// openMetrics writes the history as OpenMetrics text, one sample per
// evaluation, each series in time order.
func openMetrics(series []alertSeries) string {
	var b strings.Builder
	b.WriteString("# TYPE ALERTS gauge\n")
	for _, s := range series {
		ls := map[string]string{"alertstate": s.state}
		for k, v := range s.labels {
			ls[k] = v
		}
		names := make([]string, 0, len(ls))
		for k := range ls {
			names = append(names, k)
		}
		slices.Sort(names)
		parts := make([]string, len(names))
		for i, k := range names {
			parts[i] = k + "=" + strconv.Quote(ls[k])
		}
		sel := "ALERTS{" + strings.Join(parts, ",") + "}"
		for ts := s.from; !ts.After(s.to); ts = ts.Add(15 * time.Second) {
			if slices.ContainsFunc(s.missing, ts.Equal) {
				continue
			}
			fmt.Fprintf(&b, "%s 1 %d.%03d\n", sel, ts.Unix(), ts.Nanosecond()/1e6)
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

const promConfig = `global:
  evaluation_interval: 15s
  external_labels:
    cluster: eu1
    replica: a
rule_files: [rules.yml]
alerting:
  alert_relabel_configs:
    - action: labeldrop
      regex: replica
`

// The rules exist so that /api/v1/rules reports their group's interval;
// their expressions never return anything. LatencyHigh is left out on
// purpose.
const promRules = `groups:
  - name: alerts
    interval: 15s
    rules:
      - alert: HighErrorRate
        expr: vector(0) > 1
        for: 2m
        annotations: {summary: "5xx ratio above 5%"}
      - alert: DiskFull
        expr: vector(0) > 1
        annotations: {summary: "{{ $labels.instance }} disk full"}
      - alert: Watchdog
        expr: vector(0) > 1
      - alert: CPUHigh
        expr: vector(0) > 1
        for: 5m
      - alert: HugeLabel
        expr: vector(0) > 1
`

// startPrometheus backfills the history into blocks with promtool and
// starts Prometheus on them, on loopback; it returns the server's URL.
func startPrometheus(t *testing.T, om string) string {
	t.Helper()
	promtool := testkit.Tool(t, "promtool")
	prometheus := testkit.Tool(t, "prometheus")
	dir := t.TempDir()
	for name, body := range map[string]string{"alerts.om": om, "prometheus.yml": promConfig, "rules.yml": promRules} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
		filepath.Join(dir, "alerts.om"), data).CombinedOutput(); err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	port := testkit.FreePort(t)
	ctx, stop := context.WithCancel(context.Background())
	var plog bytes.Buffer
	cmd := exec.CommandContext(ctx, prometheus,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+data,
		"--storage.tsdb.retention.time=100y",
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &plog, &plog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", plog.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready within 60 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st := testkit.OpenStore(t)
	if err := analytics.Attach(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return st
}

// key is the alert key Alertmanager gives the alert: the fingerprint of
// its labels as sent (plus cluster=eu1; replica dropped). The importer's
// fingerprint is pinned to Alertmanager's own test values in
// identity_test.go.
func key(ls map[string]string) string {
	set := model.LabelSet{"cluster": "eu1"}
	for k, v := range ls {
		set[model.LabelName(k)] = model.LabelValue(v)
	}
	return set.Fingerprint().String()
}

// lifeRow is one row of alert_lives.
type lifeRow struct {
	Key, Name, Team, Service, Severity string
	Triggered                          time.Time
	Resolved                           *time.Time
	Triggers                           int
}

func lives(t *testing.T, st *store.Store) []lifeRow {
	t.Helper()
	rows, err := st.DB().Query(`SELECT alert_key, coalesce(alert_name, ''), coalesce(team, ''), coalesce(service, ''),
		coalesce(severity, ''), triggered_at, resolved_at, triggers FROM alert_lives ORDER BY alert_name, triggered_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []lifeRow
	for rows.Next() {
		var r lifeRow
		if err := rows.Scan(&r.Key, &r.Name, &r.Team, &r.Service, &r.Severity, &r.Triggered, &r.Resolved, &r.Triggers); err != nil {
			t.Fatal(err)
		}
		r.Triggered = r.Triggered.UTC()
		if r.Resolved != nil {
			u := r.Resolved.UTC()
			r.Resolved = &u
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ptr(t time.Time) *time.Time { return &t }

// wantLives are the hand-worked lives of the history's header comment.
func wantLives(t *testing.T) []lifeRow {
	return []lifeRow{
		{key(lblB), "DiskFull", "storage", "node", "SEV3", at(t, "01:00:07.25"), ptr(at(t, "07:30:07.25")), 1},
		{key(lblA), "HighErrorRate", "payments", "checkout", "SEV1", at(t, "10:02:07.25"), ptr(at(t, "10:15:07.25")), 1},
		{key(lblA), "HighErrorRate", "payments", "checkout", "SEV1", at(t, "10:40:07.25"), ptr(at(t, "10:43:22.25")), 1},
		{key(lblA), "HighErrorRate", "payments", "checkout", "SEV1", at(t, "10:46:07.25"), ptr(at(t, "10:48:22.25")), 1},
		{key(lblD), "LatencyHigh", "payments", "checkout", "SEV5", at(t, "12:00:07.25"), ptr(at(t, "12:00:52.25")), 1},
		{key(lblC), "Watchdog", "", "", "none", at(t, "00:00:07.25").Add(-4 * time.Hour), nil, 1},
	}
}

func importCfg(url string) promimport.Config {
	return promimport.Config{
		URL: url, Since: day, Until: day.Add(24 * time.Hour),
		Decode: decode.DefaultOptions(),
		// 720 points = 3 hours a query: the day takes 9 queries and the
		// lives cross chunk boundaries (B spans three).
		MaxPoints: 720,
	}
}

// alertStats computes the alert quality rows for the 7 days to the end of
// the imported day.
func alertStats(t *testing.T, st *store.Store) map[string]analytics.AlertStats {
	t.Helper()
	cfg := analytics.DefaultConfig(day.Add(24 * time.Hour))
	cfg.Windows = []analytics.Window{{Name: "7d", Duration: 7 * 24 * time.Hour}}
	snap, err := analytics.Compute(context.Background(), st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]analytics.AlertStats{}
	for _, r := range snap.Alerts {
		out[r.AlertName] = r
	}
	return out
}

// webhook is the Alertmanager webhook (version 4) for alert ls, as
// Alertmanager sends it: status firing with startsAt, or resolved with
// endsAt too; times with milliseconds, as Prometheus posted them.
func webhook(ls map[string]string, status, startsAt, endsAt string) []byte {
	full := map[string]string{"cluster": "eu1"}
	for k, v := range ls {
		full[k] = v
	}
	if endsAt == "" {
		endsAt = "0001-01-01T00:00:00Z"
	}
	a := map[string]any{"status": status, "labels": full, "annotations": map[string]string{"summary": "5xx ratio above 5%"},
		"startsAt": startsAt, "endsAt": endsAt, "generatorURL": "http://prometheus:9090/graph", "fingerprint": key(ls)}
	b, err := json.Marshal(map[string]any{"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": status,
		"receiver": "pagerlens", "groupLabels": map[string]string{}, "commonLabels": full, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager:9093", "alerts": []any{a}})
	if err != nil {
		panic(err)
	}
	return b
}

// deliver decodes webhook bodies with the real alertmanager decoder and
// stores them as the webhook receiver does.
func deliver(t *testing.T, st *store.Store, bodies ...[]byte) store.Result {
	t.Helper()
	dec, err := decode.New(decode.Alertmanager, decode.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	for i, body := range bodies {
		evs, err := dec.Decode(decode.Message{Value: body})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			b.Rows = append(b.Rows, store.Row{Event: e, Topic: "webhook/alertmanager", Offset: int64(i)})
		}
	}
	res, err := st.WriteBatch(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestImportFromPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Prometheus")
	}
	url := startPrometheus(t, openMetrics(history(t)))
	ctx := context.Background()

	st := openStore(t)
	cfg := importCfg(url)
	var last importers.Progress
	cfg.Observer = importers.ObserverFunc(func(p importers.Progress) { last = p })
	stats, err := promimport.Import(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("import: %+v", stats)

	t.Run("counts", func(t *testing.T) {
		// 5 names with firing samples (CPUHigh only pending); 7 lives:
		// A×3, B, C, D and HugeLabel's, the last dead-lettered. Events:
		// 5 ended lives × 2 + C's trigger = 11. Queries: 9 for the day
		// (5,761 points, 720 a query) and 2 to trace C back 4 hours.
		// Requests: the configuration, the alert names, the rules and the
		// 11 queries, none retried.
		want := promimport.Stats{
			Step: 15 * time.Second, StepFrom: "rules", AlertNames: 5, Queries: 11, Requests: 14,
			Series: 5, Lives: 7, Firing: 1, Before: 1, Events: 11, Stored: 11, DeadLettered: 1,
		}
		got := stats
		got.Points, got.Skipped, got.Warnings = 0, nil, nil
		if !reflect.DeepEqual(got, want) {
			type fields promimport.Stats // printed field by field, not by String
			t.Errorf("stats\n got %+v\nwant %+v", fields(got), fields(want))
		}
		// The observer heard of the 9 chunks of the day, the last one
		// being the single point at 24:00.
		wantLast := importers.Progress{Source: "prometheus", WindowsDone: 9, WindowsTotal: 9, Items: int(stats.Points),
			Window: importers.Window{Start: day.Add(24 * time.Hour), End: day.Add(24*time.Hour + 15*time.Second)}}
		if last != wantLast {
			t.Errorf("last progress %+v, want %+v", last, wantLast)
		}
		if len(stats.Skipped) != 0 {
			t.Errorf("skipped %v", stats.Skipped)
		}
		if len(stats.Warnings) != 1 || !strings.Contains(stats.Warnings[0], "LatencyHigh") {
			t.Errorf("warnings %q, want one about LatencyHigh having no rule", stats.Warnings)
		}
	})

	t.Run("lives", func(t *testing.T) {
		// With the step equal to the evaluation interval every sample is
		// seen: the times are exact, not only within the one-step bound.
		if got, want := lives(t, st), wantLives(t); !reflect.DeepEqual(got, want) {
			t.Errorf("alert lives\n got %+v\nwant %+v", got, want)
		}
		var title, source, topic string
		if err := st.DB().QueryRow(`SELECT title, source, kafka_topic FROM events WHERE alert_name = 'HighErrorRate' LIMIT 1`).Scan(&title, &source, &topic); err != nil {
			t.Fatal(err)
		}
		if title != "5xx ratio above 5%" || source != "prometheus" || topic != "import/prometheus" {
			t.Errorf("title %q source %q topic %q", title, source, topic)
		}
		var reason string
		var n int
		if err := st.DB().QueryRow(`SELECT count(*), any_value(reason) FROM dead_letters`).Scan(&n, &reason); err != nil {
			t.Fatal(err)
		}
		if n != 1 || reason != "limit_exceeded" {
			t.Errorf("%d dead letters, reason %q; want 1 limit_exceeded (HugeLabel)", n, reason)
		}
	})

	t.Run("alert quality", func(t *testing.T) {
		// Now = Tuesday 00:00, window 7d, hours in UTC (no roster):
		// business 08-18 Mon-Fri, sleep 22-08.
		//   HighErrorRate: 3 alerts, all resolved by the system unacked;
		//     A2 (3m15s) and A3 (2m15s) ≤ 5 min: transient 2; 3 lives in
		//     the hour 09:46:07 – 10:46:07: flapping. Monday 10:xx:
		//     business.
		//   DiskFull: 1 alert, 6h30m: auto-resolved, not transient;
		//     triggered 01:00: sleep hours.
		//   LatencyHigh: 45 s: transient, auto-resolved; business.
		//   Watchdog: still firing; Sunday 20:00: off hours.
		want := map[string]analytics.AlertStats{
			"HighErrorRate": {Team: "payments", Service: "checkout", Alerts: 3, Transient: 2, AutoResolved: 3, FlappingKeys: 1},
			"DiskFull":      {Team: "storage", Service: "node", Alerts: 1, AutoResolved: 1, SleepHours: 1},
			"LatencyHigh":   {Team: "payments", Service: "checkout", Alerts: 1, Transient: 1, AutoResolved: 1},
			"Watchdog":      {Alerts: 1, OffHours: 1},
		}
		checkStats(t, alertStats(t, st), want)
	})

	t.Run("re-import stores nothing", func(t *testing.T) {
		again, err := promimport.Import(ctx, st, importCfg(url))
		if err != nil {
			t.Fatal(err)
		}
		if again.Stored != 0 || again.Duplicates != 11 || again.DeadLettered != 0 {
			t.Errorf("re-import stored %d, %d duplicates, %d dead letters; want 0, 11, 0", again.Stored, again.Duplicates, again.DeadLettered)
		}
	})

	t.Run("webhook after the import joins the life", func(t *testing.T) {
		// Alertmanager's notifications for A1: startsAt is A1's first
		// firing sample (FiredAt), endsAt one interval after its last
		// (ResolvedAt): the same ids as the imported events.
		res := deliver(t, st,
			webhook(lblA, "firing", "2026-03-02T10:02:07.25Z", ""),
			webhook(lblA, "resolved", "2026-03-02T10:02:07.25Z", "2026-03-02T10:15:07.25Z"))
		if res.Stored != 0 || res.Duplicates != 2 {
			t.Errorf("webhook stored %d, %d duplicates; want 0 and 2", res.Stored, res.Duplicates)
		}
		if got, want := lives(t, st), wantLives(t); !reflect.DeepEqual(got, want) {
			t.Errorf("alert lives\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("webhook with other times joins the life", func(t *testing.T) {
		// The HA pair's other replica, whose group evaluates 7.15 s
		// earlier, fired first; Alertmanager keeps the earliest startsAt,
		// and the first resolve it got. Different times, different ids:
		// two more events, but still one life: the earlier trigger starts
		// it, the later one is a re-notification (triggers 2), the first
		// resolve ends it and the later one is ignored.
		res := deliver(t, st,
			webhook(lblA, "firing", "2026-03-02T10:02:00.1Z", ""),
			webhook(lblA, "resolved", "2026-03-02T10:02:00.1Z", "2026-03-02T10:15:00.1Z"))
		if res.Stored != 2 {
			t.Errorf("webhook stored %d, want 2", res.Stored)
		}
		want := wantLives(t)
		want[1].Triggered, want[1].Resolved, want[1].Triggers = at(t, "10:02:00.10"), ptr(at(t, "10:15:00.10")), 2
		if got := lives(t, st); !reflect.DeepEqual(got, want) {
			t.Errorf("alert lives\n got %+v\nwant %+v", got, want)
		}
		// The alert figures do not move: still 3 HighErrorRate alerts, 2
		// transient (A1 is 13 min either way).
		got := alertStats(t, st)["HighErrorRate"]
		if got.Alerts != 3 || got.Transient != 2 || got.AutoResolved != 3 || got.FlappingKeys != 1 {
			t.Errorf("HighErrorRate %+v", got)
		}
	})

	t.Run("webhook before the import", func(t *testing.T) {
		st := openStore(t)
		res := deliver(t, st,
			webhook(lblA, "firing", "2026-03-02T10:02:07.25Z", ""),
			webhook(lblA, "resolved", "2026-03-02T10:02:07.25Z", "2026-03-02T10:15:07.25Z"))
		if res.Stored != 2 {
			t.Fatalf("webhook stored %d", res.Stored)
		}
		s, err := promimport.Import(ctx, st, importCfg(url))
		if err != nil {
			t.Fatal(err)
		}
		if s.Stored != 9 || s.Duplicates != 2 {
			t.Errorf("import stored %d, %d duplicates; want 9 and 2", s.Stored, s.Duplicates)
		}
		if got, want := lives(t, st), wantLives(t); !reflect.DeepEqual(got, want) {
			t.Errorf("alert lives\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("match", func(t *testing.T) {
		st := openStore(t)
		cfg := importCfg(url)
		cfg.Match = `{severity=~"critical|warning"}`
		s, err := promimport.Import(ctx, st, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// A×3 and B: 4 lives, 8 events; C (none), D (info) and HugeLabel
		// (no severity) are not selected.
		if s.Lives != 4 || s.Stored != 8 || s.DeadLettered != 0 {
			t.Errorf("stats %+v", s)
		}
		got := lives(t, st)
		want := wantLives(t)[:4]
		if !reflect.DeepEqual(got, want) {
			t.Errorf("alert lives\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("coarser step stays within the bound", func(t *testing.T) {
		// --step 60s, four times the real interval: a start is late by
		// less than a step, an end off by less than a step.
		st := openStore(t)
		cfg := importCfg(url)
		cfg.Step = time.Minute
		s, err := promimport.Import(ctx, st, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if s.StepFrom != "flag" || s.Lives != 7 {
			t.Errorf("stats %+v", s)
		}
		got, want := lives(t, st), wantLives(t)
		if len(got) != len(want) {
			t.Fatalf("lives\n got %+v\nwant %+v", got, want)
		}
		for i := range got {
			g, w := got[i], want[i]
			var dEnd time.Duration
			if g.Resolved != nil && w.Resolved != nil {
				dEnd = g.Resolved.Sub(*w.Resolved)
			}
			t.Logf("%-13s %s: start %+v, end %+v", w.Name, w.Triggered.Format("15:04:05.00"), g.Triggered.Sub(w.Triggered), dEnd)
			if d := g.Triggered.Sub(w.Triggered); d < 0 || d >= cfg.Step {
				t.Errorf("%s %s: start %s off by %s", w.Name, w.Triggered, g.Triggered, d)
			}
			if (g.Resolved == nil) != (w.Resolved == nil) {
				t.Errorf("%s %s: resolved %v, want %v", w.Name, w.Triggered, g.Resolved, w.Resolved)
				continue
			}
			if w.Resolved != nil {
				if d := g.Resolved.Sub(*w.Resolved); d <= -cfg.Step || d >= cfg.Step {
					t.Errorf("%s %s: end %s off by %s", w.Name, w.Triggered, g.Resolved, d)
				}
			}
		}
		// The transient and flapping figures hold at this resolution.
		checkStats(t, alertStats(t, st), map[string]analytics.AlertStats{
			"HighErrorRate": {Team: "payments", Service: "checkout", Alerts: 3, Transient: 2, AutoResolved: 3, FlappingKeys: 1},
			"DiskFull":      {Team: "storage", Service: "node", Alerts: 1, AutoResolved: 1, SleepHours: 1},
			"LatencyHigh":   {Team: "payments", Service: "checkout", Alerts: 1, Transient: 1, AutoResolved: 1},
			"Watchdog":      {Alerts: 1, OffHours: 1},
		})
	})
}

func checkStats(t *testing.T, got, want map[string]analytics.AlertStats) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("alert rows for %d names, want %d: %+v", len(got), len(want), got)
	}
	for name, w := range want {
		g := got[name]
		w.Window, w.AlertName = "7d", name
		g.Reset = analytics.Stat{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, g, w)
		}
	}
}

// fastRetry retries as the default policy does, without the waits.
var fastRetry = importers.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}

func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tests := []struct {
		name string
		cfg  promimport.Config
		want string
	}{
		{"no url", promimport.Config{Since: day, Until: day.Add(time.Hour)}, "no server URL"},
		{"since after until", promimport.Config{URL: "http://127.0.0.1:1", Since: day, Until: day.Add(-time.Hour)}, "is not before"},
		{"bad match", promimport.Config{URL: "http://127.0.0.1:1", Since: day, Until: day.Add(time.Hour), Match: `{a=~"(}`}, "--match"},
		{
			// Nothing listens on port 1: retried, then a clear error.
			"server down",
			promimport.Config{URL: "http://127.0.0.1:1", Since: day, Until: day.Add(time.Hour), Retry: fastRetry},
			"/api/v1/label/alertname/values",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := promimport.Import(ctx, st, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestBadAnswers: a server answering in Prometheus's API shape (the HTTP
// API documentation's envelope: status, data.resultType, data.result) but
// with values that are not sample times, or a result of the wrong type,
// or a query error: the bad points are counted and skipped, a bad result
// stops the import with an error naming the query, nothing crashes.
func TestBadAnswers(t *testing.T) {
	// Step points of 15 s from 10:00; the samples are at 07.25 past. The
	// points at 10:00:45 (NaN) and 10:01:00 (a sample newer than its
	// point) are bad: skipped, counted, and as good as absent, so the life
	// is cut in two around them (10:00:07.25 – 10:00:37.25 and from
	// 10:01:07.25).
	t0 := float64(day.Add(10 * time.Hour).Unix())
	good := func(i int) string { return fmt.Sprintf(`[%.3f,"%.3f"]`, t0+15*float64(i), t0+15*float64(i)-7.75) }
	matrix := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"alertname":"X","alertstate":"firing","team":"t"},"values":[` +
		good(1) + `,` + good(2) + fmt.Sprintf(`,[%.3f,"NaN"],[%.3f,"%.3f"],`, t0+45, t0+60, t0+61) + good(5) + `]}]}}`
	tests := []struct {
		name      string
		queryBody string
		status    int
		wantErr   string
		wantBad   int
		wantLives int
	}{
		{name: "bad points skipped", queryBody: matrix, status: 200, wantBad: 2, wantLives: 2},
		{name: "not a matrix", status: 200, wantErr: "want a matrix",
			queryBody: `{"status":"success","data":{"resultType":"vector","result":[]}}`},
		{name: "query error", status: 422, wantErr: "query_range",
			queryBody: `{"status":"error","errorType":"execution","error":"expanding series: boom"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptestServer(t, map[string]string{
				"/api/v1/status/config":          `{"status":"success","data":{"yaml":"global:\n  evaluation_interval: 15s\n"}}`,
				"/api/v1/label/alertname/values": `{"status":"success","data":["X"]}`,
				"/api/v1/rules":                  `{"status":"success","data":{"groups":[]}}`,
				"/api/v1/query_range":            tt.queryBody,
			}, tt.status)
			st := openStore(t)
			s, err := promimport.Import(context.Background(), st, promimport.Config{URL: srv, Since: day.Add(10 * time.Hour), Until: day.Add(11 * time.Hour), Decode: decode.DefaultOptions(), Retry: fastRetry})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Skipped["bad_sample"] != tt.wantBad || s.Lives != tt.wantLives {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// httptestServer answers each path with its body; query_range with status.
func httptestServer(t *testing.T, bodies map[string]string, queryStatus int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/v1/query_range" {
			w.WriteHeader(queryStatus)
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
