// Package dashboards checks the generated Grafana dashboards against real
// data (issue 5, "How it is checked", second bullet): pagerlens serve
// consumes the fixture stream from the embedded broker, a real Prometheus
// scrapes it, and every panel's query, with the dashboard variables set to
// "All", must return data.
package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/dashboards"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/demo"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

const (
	topicCanonical    = "pagerlens-events"
	topicAlertmanager = "am-webhooks"
	// window is the value the window variable takes: the synthetic stream
	// covers 30 days, and 30d is the dashboards' default.
	window = "30d"
)

// noDataAllowed lists panels whose queries may legitimately return nothing
// for this stream, keyed "dashboard uid / panel title", with the reason. Keep
// it short: the preferred fix is a stream that produces the data. An entry
// whose panel does return data fails the test, so the list cannot go stale.
var noDataAllowed = map[string]string{}

// TestEveryPanelReturnsData is the end-to-end check of the dashboards.
func TestEveryPanelReturnsData(t *testing.T) {
	if testing.Short() {
		t.Skip("builds pagerlens and starts a real Prometheus")
	}
	prometheus := testkit.Tool(t, "prometheus")
	start := time.Now()

	// The build and the stream are independent: build while generating.
	// A cold build (cgo, DuckDB) can take minutes on a fresh CI machine, so
	// it has its own deadline and the run's starts after it.
	type buildResult struct {
		bin string
		err error
	}
	buildc := make(chan buildResult, 1)
	binDir := t.TempDir()
	buildCtx, buildCancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer buildCancel()
	go func() {
		bin, err := e2eutil.Build(buildCtx, binDir)
		buildc <- buildResult{bin, err}
	}()
	stream := fixtureStream(t)
	broker := kafkatest.New(t, kafkatest.Options{Topics: sortedKeys(stream), Partitions: 2})
	b := <-buildc
	if b.err != nil {
		t.Fatal(b.err)
	}
	builtAt := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// pagerlens serve with exports and webhooks, so that the pipeline
	// families of those parts have data too.
	dir := t.TempDir()
	token := "e2e-dashboards-token"
	tokenFile := filepath.Join(dir, "canonical.token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exportDir := filepath.Join(dir, "exports")
	if err := os.Mkdir(exportDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A PagerDuty API with nothing in it, polled by serve (import:), so
	// that the import panels have runs to show.
	pd := emptyPagerDuty(t)
	pdToken := filepath.Join(dir, "pd.token")
	if err := os.WriteFile(pdToken, []byte("pd-e2e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A report receiver, so that the export's deliveries have outcomes.
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	serveAddr := fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t))
	cfg := fmt.Sprintf(`db: %q
listen: %q
store: {memory_limit: 512MB, threads: 2}
kafka:
  brokers: [%q]
  group: pagerlens-e2e-dashboards
  topics:
    - {name: %s, format: canonical}
    - {name: %s, format: alertmanager}
  batch_wait: 50ms
prometheus:
  refresh_interval: 2s
webhooks:
  mode: direct
  canonical: {bearer_token_file: %q}
exports:
  - {name: e2e-mttx, schedule: "@every 1s", what: mttx, format: csv, dir: %q, retention: 2,
     deliver: [{webhook: {url: %q}}]}
import:
  pagerduty: {token_file: %q, api_url: %q, every: 10s, since: 1d}
`, filepath.Join(dir, "pagerlens.duckdb"), serveAddr, broker.Addr(), topicCanonical, topicAlertmanager, tokenFile, exportDir, receiver.URL, pdToken, pd.URL)
	cfgPath := filepath.Join(dir, "pagerlens.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := startProc(t, "pagerlens-serve", b.bin, "serve", "--config", cfgPath)

	// A real Prometheus scraping serve every second.
	promAddr := fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t))
	promDir := t.TempDir()
	promCfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pagerlens
    static_configs:
      - targets: [%q]
`, serveAddr)
	promCfgPath := filepath.Join(promDir, "prometheus.yml")
	if err := os.WriteFile(promCfgPath, []byte(promCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	promProc := startProc(t, "prometheus", prometheus,
		"--config.file="+promCfgPath,
		"--storage.tsdb.path="+filepath.Join(promDir, "data"),
		"--web.listen-address="+promAddr,
	)
	prom := testkit.Prom{URL: "http://" + promAddr}
	watch := []*e2eutil.Proc{serve, promProc}

	if err := e2eutil.Poll(ctx, "pagerlens serve ready", 100*time.Millisecond, watch, func(ctx context.Context) (bool, string, error) {
		return httpOK(ctx, "http://"+serveAddr+"/readyz")
	}); err != nil {
		t.Fatal(err)
	}
	// Scraped a few times before anything happens: the rate panels
	// (batch duration, webhook latency) need the counters to move between
	// two scrapes, which they only do if the work happens while scraped.
	if err := e2eutil.Poll(ctx, "prometheus scraping pagerlens", 250*time.Millisecond, watch, func(ctx context.Context) (bool, string, error) {
		v, ok, err := prom.Scalar(ctx, `sum_over_time(up{job="pagerlens"}[1m])`)
		if err != nil {
			return false, err.Error(), nil // not serving the API yet
		}
		return ok && v >= 2, fmt.Sprintf("%v successful scrapes", v), nil
	}); err != nil {
		t.Fatal(err)
	}

	qs := dashboardQueries(t)
	if len(qs) == 0 {
		t.Fatal("no queries found in the dashboards")
	}
	freshServe(ctx, t, prom, qs, watch)

	produced := 0
	for _, topic := range sortedKeys(stream) {
		if err := broker.Produce(ctx, topic, stream[topic]...); err != nil {
			t.Fatal(err)
		}
		produced += len(stream[topic])
	}
	// Everything produced was consumed (stored, duplicate or dead-lettered).
	if err := e2eutil.Poll(ctx, "stream consumed", 250*time.Millisecond, watch, func(ctx context.Context) (bool, string, error) {
		v, _, err := prom.Scalar(ctx, "sum(pagerlens_ingest_messages_total)")
		if err != nil {
			return false, "", err
		}
		return v >= float64(produced), fmt.Sprintf("%v of %d messages consumed", v, produced), nil
	}); err != nil {
		t.Fatal(err)
	}
	// Two webhook requests with a scrape between them: the per-source
	// series only appear with the first request, so the first scrape that
	// sees them is where the rate starts.
	postWebhook(ctx, t, "http://"+serveAddr, token, 1)
	if err := e2eutil.Poll(ctx, "webhook request scraped", 250*time.Millisecond, watch, func(ctx context.Context) (bool, string, error) {
		_, ok, err := prom.Scalar(ctx, `sum(pagerlens_webhook_requests_total{source="canonical"})`)
		return ok, "no webhook request series yet", err
	}); err != nil {
		t.Fatal(err)
	}
	postWebhook(ctx, t, "http://"+serveAddr, token, 2)

	// Poll until every query has data: the analytics refresh, the export
	// ticks and the scrapes land at their own pace after the stream is in.
	// A minute is far more than they need; a panel still empty then is not
	// going to fill.
	problems, rounds, err := pollPanels(ctx, prom, qs, noDataAllowed, watch, "every panel returns data", time.Minute, time.Second)
	if err != nil {
		// A timeout (the panels are listed below), a query Prometheus
		// rejects, or a process that died.
		t.Error(err)
	}
	for _, p := range sortedKeys(problems) {
		if reason, ok := noDataAllowed[p]; ok {
			t.Logf("allowed without data: %s (%s)", p, reason)
			continue
		}
		for _, msg := range problems[p] {
			t.Error(msg)
		}
	}
	for _, p := range sortedKeys(noDataAllowed) {
		if _, ok := problems[p]; !ok && err == nil {
			t.Errorf("%s returns data now: remove it from noDataAllowed", p)
		}
	}

	panels, vars := map[string]bool{}, 0
	for _, q := range qs {
		if q.q.Variable != "" {
			vars++
			continue
		}
		panels[q.panelKey()] = true
	}
	result := "all returned data"
	if t.Failed() {
		result = "NOT all returned data"
	}
	t.Logf("%d dashboards, %d panels: %d panel queries and %d variable queries, %s (%d allowlisted) after %d polls; %d messages; build %s, total %s",
		len(dashboardUIDs(qs)), len(panels), len(qs)-vars, vars, result, len(noDataAllowed), rounds, produced,
		builtAt.Sub(start).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// freshNoData lists the pipeline panels that cannot show a number before
// the first message, with the reason; every other pipeline panel must show
// one (0 for the counters) on a serve that has received nothing.
var freshNoData = map[string]string{
	dashboards.UIDPipeline + " / Consumer lag":                      "per partition, reported with the first fetched messages",
	dashboards.UIDPipeline + " / Batch duration":                    "a quantile of no batches is NaN",
	dashboards.UIDPipeline + " / Webhook latency p99":               "a quantile of no requests is NaN",
	dashboards.UIDPipeline + " / Time since last successful export": "no success yet (0 would read as 1970)",
	dashboards.UIDPipeline + " / Time since last successful import": "the first poll may not have finished yet (0 would read as 1970)",
}

// freshServe checks the pipeline dashboard before anything is produced or
// posted: the self-metrics whose label values are known in advance (topics,
// outcomes, dead-letter reasons, decode warnings, webhook sources, exports)
// are exposed at 0, so their panels show 0, not "No data".
func freshServe(ctx context.Context, t *testing.T, prom testkit.Prom, all []dashQuery, watch []*e2eutil.Proc) {
	t.Helper()
	var qs []dashQuery
	for _, q := range all {
		if q.q.Dashboard == dashboards.UIDPipeline && q.q.Variable == "" {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		t.Fatal("no pipeline dashboard queries")
	}
	problems, _, err := pollPanels(ctx, prom, qs, freshNoData, watch, "every fresh pipeline panel shows a number", 20*time.Second, 500*time.Millisecond)
	if err != nil {
		t.Error(err)
		for _, p := range sortedKeys(problems) {
			if _, ok := freshNoData[p]; !ok {
				for _, msg := range problems[p] {
					t.Errorf("fresh serve: %s", msg)
				}
			}
		}
	}
	for p := range freshNoData {
		found := false
		for _, q := range qs {
			found = found || q.panelKey() == p
		}
		if !found {
			t.Errorf("freshNoData lists %s, which is not a pipeline panel", p)
		}
	}
}

// pollPanels evaluates qs every interval, for at most limit, until every
// panel (or variable) with a problem is in allowed; it returns the last
// full round's problems and the number of rounds. The error is a timeout, a
// query Prometheus rejects, or a process of watch that died.
func pollPanels(ctx context.Context, prom testkit.Prom, qs []dashQuery, allowed map[string]string, watch []*e2eutil.Proc,
	what string, limit, interval time.Duration) (map[string][]string, int, error) {
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var problems map[string][]string
	rounds := 0
	err := e2eutil.Poll(pctx, what, interval, watch, func(ctx context.Context) (bool, string, error) {
		rounds++
		got, err := queryProblems(ctx, prom, qs)
		if err != nil {
			if ctx.Err() != nil {
				// The deadline fell mid-round: report the last full round.
				return false, "deadline during a round of queries", nil
			}
			return false, "", err
		}
		problems = got
		for p := range problems {
			if _, ok := allowed[p]; !ok {
				return false, fmt.Sprintf("%d panels or variables with problems", len(problems)), nil
			}
		}
		return true, "", nil
	})
	return problems, rounds, err
}

// startProc starts bin; when the test ends it must stop cleanly on SIGTERM
// within 15 s, else the test fails: a shutdown bug of serve (or of this
// set-up) should not pass unnoticed.
func startProc(t *testing.T, name, bin string, args ...string) *e2eutil.Proc {
	t.Helper()
	p := e2eutil.StartBinary(t, name, bin, nil, args...)
	t.Cleanup(func() {
		if err := p.Stop(15 * time.Second); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
	return p
}

// httpOK reports whether GET url answers 200; a refused connection is not
// an error, just not ready yet.
func httpOK(ctx context.Context, url string) (bool, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, "", fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err.Error(), nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("%s: %s %s", url, resp.Status, strings.TrimSpace(string(body))), nil
	}
	return true, "", nil
}

// fixtureStream returns the messages to produce, by topic: on the canonical
// topic the incident lifecycle fixture, every bad fixture (dead letters) and
// 30 days of a synthetic world of 3 teams ending now (the analytics windows
// end at serve's wall-clock now, so the windowed families need recent
// incidents); on the Alertmanager topic its fixtures and one notification
// with truncated alerts (decode warnings).
func fixtureStream(t *testing.T) map[string][]kafkatest.Message {
	t.Helper()
	var canonical []kafkatest.Message
	for _, line := range strings.Split(string(fixtures.Read(t, "canonical/incident-lifecycle.jsonl")), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		canonical = append(canonical, kafkatest.Message{Value: []byte(line)})
	}
	bad, err := filepath.Glob(filepath.Join(fixtures.Dir(t, "bad"), "*.json"))
	if err != nil || len(bad) == 0 {
		t.Fatalf("bad fixtures: %v (%d files)", err, len(bad))
	}
	for _, f := range bad {
		canonical = append(canonical, kafkatest.Message{Value: fixtures.Read(t, filepath.Join("bad", filepath.Base(f)))})
	}
	cfg := synth.Config{Seed: 5, Teams: 3, Days: 30, End: time.Now().Truncate(time.Second)}
	if err := synth.Generate(cfg, func(e event.Event) error {
		// Keyed as a producer should key it (docs/scaling.md).
		m, err := demo.Message(e)
		if err != nil {
			return fmt.Errorf("marshal %s: %w", e.ID, err)
		}
		canonical = append(canonical, m)
		return nil
	}); err != nil {
		t.Fatalf("synthetic stream: %v", err)
	}

	var am []kafkatest.Message
	for _, name := range []string{"firing.json", "resolved.json"} {
		am = append(am, kafkatest.Message{Value: fixtures.Read(t, filepath.Join("alertmanager", name))})
	}
	// The same firing notification with alerts left out by Alertmanager:
	// decoded, with a truncated_alerts warning.
	var firing map[string]any
	if err := json.Unmarshal(am[0].Value, &firing); err != nil {
		t.Fatalf("alertmanager fixture: %v", err)
	}
	firing["truncatedAlerts"] = 3
	truncated, err := json.Marshal(firing)
	if err != nil {
		t.Fatalf("alertmanager fixture: %v", err)
	}
	am = append(am, kafkatest.Message{Value: truncated})
	t.Logf("stream: %d canonical messages (%d bad), %d alertmanager notifications", len(canonical), len(bad), len(am))
	return map[string][]kafkatest.Message{topicCanonical: canonical, topicAlertmanager: am}
}

// postWebhook sends one canonical event to serve's webhook intake, so that
// the webhook request families have data.
func postWebhook(ctx context.Context, t *testing.T, base, token string, n int) {
	t.Helper()
	body := fmt.Sprintf(`{"specversion":"1.0","id":"e2e-dashboards-webhook-%d","source":"e2e","type":"alert.triggered","time":%q,"data":{"alert_key":"e2e-disk-full-%d","service":"ledger-db","team":"storage"}}`,
		n, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), n)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/canonical", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /webhooks/canonical: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST /webhooks/canonical: %s", resp.Status)
	}
}

// dashQuery is one query of a dashboard with the variables substituted in
// expr (q.Expr is as in the dashboard JSON).
type dashQuery struct {
	q    dashboards.Query
	expr string
}

func (q dashQuery) panelKey() string { return q.q.Dashboard + " / " + q.q.Panel }

func (q dashQuery) String() string { return fmt.Sprintf("%s: %s", q.q.Where(), q.expr) }

// dashboardQueries returns every query of every dashboard with the default
// options (a single instance scraped by one Prometheus), variables
// substituted.
func dashboardQueries(t *testing.T) []dashQuery {
	t.Helper()
	ds, err := dashboards.Build(dashboards.Options{})
	if err != nil {
		t.Fatalf("dashboards.Build: %v", err)
	}
	var out []dashQuery
	for _, d := range ds {
		qs, err := dashboards.Queries(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			expr, err := substitute(q.Expr)
			if err != nil {
				t.Fatalf("%s: %v", dashQuery{q: q}, err)
			}
			out = append(out, dashQuery{q: q, expr: expr})
		}
	}
	return out
}

// variableValues are what Grafana interpolates with every variable at "All"
// (the dashboards' All value is ".*", substituted raw, not escaped) and the
// built-in intervals at values that suit a 1 s scrape interval.
var variableValues = map[string]string{
	"team":     ".*",
	"service":  ".*",
	"severity": ".*",
	"window":   window,
	// $__rate_interval is at least 4 scrape intervals; 5m also covers every
	// sample since Prometheus started, so a counter that moved once at
	// ingest still has a rate when the queries run.
	"__rate_interval": "5m",
	"__interval":      "1m",
	"__range":         "5m",
	"__range_s":       "300",
}

// variableRef matches $name and ${name} / ${name:format}.
var variableRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// substitute replaces the variable references of expr. An unknown variable is
// an error: a new variable must get a value here, not reach Prometheus as
// literal text. (datasource never appears in an expression: it selects the
// data source, which here is the one Prometheus.)
func substitute(expr string) (string, error) {
	var unknown []string
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		v, ok := variableValues[name]
		if !ok {
			unknown = append(unknown, ref)
			return ref
		}
		return v
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("no test value for variable %v in %q", unknown, expr)
	}
	return out, nil
}

// queryProblems evaluates every query and returns, per panel (or
// variable), what is wrong with its queries. A query must return at least
// one sample that is a number: NaN is what 0/0 and a quantile of empty
// buckets give, and Grafana shows it as no value. No sample may be ±Inf: that
// is a division by zero, which Grafana shows as "Infinity" and which tops
// every topk. A query Prometheus rejects is an error.
func queryProblems(ctx context.Context, prom testkit.Prom, qs []dashQuery) (map[string][]string, error) {
	problems := map[string][]string{}
	for _, q := range qs {
		ss, err := prom.Query(ctx, q.expr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		numbers, inf := 0, 0
		for _, s := range ss {
			switch {
			case math.IsNaN(s.Value):
			case math.IsInf(s.Value, 0):
				inf++
			case q.q.Label != "" && s.Metric[q.q.Label] == "":
				// A variable needs values of its label.
			default:
				numbers++
			}
		}
		key := q.panelKey()
		if q.q.Variable != "" {
			key = q.q.Dashboard + " / variable " + q.q.Variable
		}
		if numbers == 0 {
			problems[key] = append(problems[key], fmt.Sprintf("no data: %s (%d samples, none a number)", q, len(ss)))
		}
		if inf > 0 {
			problems[key] = append(problems[key], fmt.Sprintf("division by zero: %s (%d of %d samples ±Inf)", q, inf, len(ss)))
		}
	}
	return problems, nil
}

func dashboardUIDs(qs []dashQuery) map[string]bool {
	out := map[string]bool{}
	for _, q := range qs {
		out[q.q.Dashboard] = true
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// emptyPagerDuty answers PagerDuty's REST API list calls with empty pages
// (the shape of PagerDuty's classic pagination: the list, limit, offset,
// more), as an account with nothing in it would.
func emptyPagerDuty(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.Trim(r.URL.Path, "/")
		if key != "users" && key != "incidents" && key != "oncalls" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{%q: [], "limit": 100, "offset": 0, "more": false, "total": 0}`, key)
	}))
	t.Cleanup(srv.Close)
	return srv
}
