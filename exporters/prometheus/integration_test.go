package prometheus

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

var fixtureNow = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)

// openFixtureStore opens (creating on first use) a store at path holding the
// canonical incident-lifecycle fixture.
func openFixtureStore(t *testing.T, ctx context.Context, path string, ingestFixture bool) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, path, store.Options{MemoryLimit: "256MB", Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := analytics.Attach(ctx, st); err != nil {
		t.Fatal(err)
	}
	if ingestFixture {
		fixture := filepath.Join("..", "..", "testdata", "fixtures", "canonical", "incident-lifecycle.jsonl")
		if _, err := ingest.IngestFile(ctx, fixture, st, ingest.FileConfig{}); err != nil {
			t.Fatalf("ingest %s: %v", fixture, err)
		}
	}
	return st
}

// newServing builds a registry refreshed once from st at fixtureNow.
func newServing(t *testing.T, ctx context.Context, st *store.Store) *Registry {
	t.Helper()
	reg, err := NewRegistry(RegistryOptions{Runtime: true})
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.NewRefresher(StoreSource(st, nil), RefresherOptions{Now: func() time.Time { return fixtureNow }})
	if err := ref.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return reg
}

// swapHandler lets the test "restart" pagerlens behind the same address,
// so that Prometheus sees one target across the restart.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }
func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

func TestPrometheusEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Prometheus")
	}
	promtool := testkit.Tool(t, "promtool")
	prometheus := testkit.Tool(t, "prometheus")
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "pagerlens.duckdb")
	st := openFixtureStore(t, ctx, dbPath, true)
	reg := newServing(t, ctx, st)

	var sw swapHandler
	sw.set(reg.Handler())
	srv := httptest.NewServer(&sw)
	defer srv.Close()

	t.Run("promtool check metrics", func(t *testing.T) {
		body := httpGet(t, srv.URL+"/metrics")
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		out, err := cmd.CombinedOutput()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			name, _, _ := strings.Cut(line, " ")
			switch {
			case line == "":
			case knownContractLint[name]:
				t.Logf("known contract lint (see knownContractLint): %s", line)
			default:
				t.Errorf("promtool check metrics: %s", line)
			}
		}
		if err != nil && !t.Failed() {
			t.Logf("promtool exit: %v (only known contract lint)", err)
		}
	})

	// A real Prometheus scraping the server every second.
	port := testkit.FreePort(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: pagerlens
    static_configs:
      - targets: [%q]
`, strings.TrimPrefix(srv.URL, "http://"))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var plog bytes.Buffer
	cmd := exec.CommandContext(pctx, prometheus,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &plog, &plog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stop()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", plog.String())
		}
	}()
	api := fmt.Sprintf("http://127.0.0.1:%d", port)

	const mtta = `sum by (team) (pagerlens_incident_ack_seconds_sum{window="30d"}) / sum by (team) (pagerlens_incident_ack_seconds_count{window="30d"})`
	res := waitQuery(t, api, mtta, func(r []testkit.PromSample) bool { return len(r) > 0 })
	if v, ok := valueFor(res, "team", "payments"); !ok || v != 240 {
		t.Fatalf("team MTTA for payments = %v (found %v), want 240; all: %+v", v, ok, res)
	}
	t.Logf("Prometheus: team MTTA (30d) for payments = %vs", 240.0)

	const total = `sum(pagerlens_incidents_total)`
	before := waitQuery(t, api, total, func(r []testkit.PromSample) bool { return len(r) == 1 })[0].Value
	if before <= 0 {
		t.Fatalf("pagerlens_incidents_total = %v before restart", before)
	}

	// Restart: close the store, reopen it, rebuild collector and registry
	// from scratch. The counter comes back from the store, not from 0.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	sw.set(http.NotFoundHandler()) // down while "restarting"
	st2 := openFixtureStore(t, ctx, dbPath, false)
	defer st2.Close()
	sw.set(newServing(t, ctx, st2).Handler())
	after := waitQuery(t, api, `sum(pagerlens_incidents_total) and on() (max(timestamp(pagerlens_incidents_total)) > `+
		strconv.FormatInt(restarted.Unix()+1, 10)+`)`, func(r []testkit.PromSample) bool { return len(r) == 1 })[0].Value
	t.Logf("Prometheus: sum(pagerlens_incidents_total) = %v before restart, %v after", before, after)
	if after != before {
		t.Errorf("pagerlens_incidents_total = %v after restart, %v before", after, before)
	}
	resets := waitQuery(t, api, `sum(resets(pagerlens_incidents_total[5m]))`, func(r []testkit.PromSample) bool { return len(r) == 1 })
	if resets[0].Value != 0 {
		t.Errorf("Prometheus saw %v counter resets across the restart", resets[0].Value)
	}
}

// The example config and rules in deploy/prometheus pass promtool.
func TestDeployFilesPassPromtool(t *testing.T) {
	promtool := testkit.Tool(t, "promtool")
	dir := filepath.Join("..", "..", "deploy", "prometheus")
	for _, args := range [][]string{
		{"check", "config", filepath.Join(dir, "prometheus.yml")},
		{"check", "rules", filepath.Join(dir, "rules.yml")},
		{"check", "rules", filepath.Join(dir, "rules-shards.yml")},
	} {
		t.Run(args[1]+" "+filepath.Base(args[2]), func(t *testing.T) {
			out, err := exec.Command(promtool, args...).CombinedOutput()
			if err != nil {
				t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}

func valueFor(ss []testkit.PromSample, label, value string) (float64, bool) {
	for _, s := range ss {
		if s.Metric[label] == value {
			return s.Value, true
		}
	}
	return 0, false
}

// waitQuery polls an instant query until ok accepts the result.
func waitQuery(t *testing.T, api, q string, ok func([]testkit.PromSample) bool) []testkit.PromSample {
	t.Helper()
	prom := testkit.Prom{URL: api}
	deadline := time.Now().Add(60 * time.Second)
	var last []testkit.PromSample
	var lastErr error
	for time.Now().Before(deadline) {
		last, lastErr = prom.Query(context.Background(), q)
		if lastErr == nil && ok(last) {
			return last
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("query %s: no acceptable result within 60s: last %+v, error %v", q, last, lastErr)
	return nil
}

func httpGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, b)
	}
	return b
}
