package deploy

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pagerlens/pagerlens/dashboards"
)

var update = flag.Bool("update", false, "rewrite the Helm chart's copies of the dashboards and rules")

const chartFiles = "helm/pagerlens/files"

// composeGrafana is the compose stack's Grafana provisioning: `pagerlens
// dashboards write` with the stack's Prometheus URL and the path where
// compose.yaml mounts the chart's dashboards.
const (
	composeGrafana       = "compose/grafana"
	composePrometheusURL = "http://prometheus:9090"
	composeDashboardPath = "/var/lib/grafana/dashboards/pagerlens"
)

// The chart (and the compose stack) read the dashboards and the rules from
// files in the chart's directory (Helm cannot read outside it). They are copies: of `pagerlens
// dashboards write` (--aggregation max for HA, sum for shards) and of
// deploy/prometheus/rules*.yml. This test fails when a copy is stale or a
// stray file is left; `make deploy-files` (go test ./deploy -update)
// rewrites them.
func TestChartFilesUpToDate(t *testing.T) {
	want := map[string][]byte{} // path under chartFiles → content
	for _, agg := range []dashboards.Aggregation{dashboards.AggregationMax, dashboards.AggregationSum} {
		dir := t.TempDir()
		opts := dashboards.Options{Aggregation: agg}
		if agg == dashboards.AggregationMax {
			opts.PrometheusURL, opts.ProvisionedPath = composePrometheusURL, composeDashboardPath
		}
		if err := dashboards.WriteProvisioning(dir, opts); err != nil {
			t.Fatal(err)
		}
		if agg == dashboards.AggregationMax {
			for _, f := range []string{dashboards.ProviderFile, dashboards.DatasourceFile} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				want[relToChartFiles(composeGrafana, f)] = b
			}
		}
		fs, err := filepath.Glob(filepath.Join(dir, dashboards.DashboardsDir, "*.json"))
		if err != nil || len(fs) == 0 {
			t.Fatalf("dashboards write wrote no JSON: %v", err)
		}
		for _, f := range fs {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want[filepath.Join("dashboards", string(agg), filepath.Base(f))] = b
		}
	}
	for _, r := range []string{"rules.yml", "rules-shards.yml"} {
		b, err := os.ReadFile(filepath.Join("prometheus", r))
		if err != nil {
			t.Fatal(err)
		}
		want[r] = b
	}

	have := []string{
		relToChartFiles(composeGrafana, dashboards.ProviderFile),
		relToChartFiles(composeGrafana, dashboards.DatasourceFile),
	}
	err := filepath.WalkDir(chartFiles, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartFiles, p)
		have = append(have, rel)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if *update {
		for _, rel := range have {
			if _, ok := want[rel]; !ok {
				if err := os.Remove(filepath.Join(chartFiles, rel)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for rel, b := range want {
			p := filepath.Join(chartFiles, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for _, rel := range have {
		if _, ok := want[rel]; !ok {
			t.Errorf("%s/%s: not a dashboard or rules file pagerlens writes; run `make deploy-files`", chartFiles, rel)
		}
	}
	for rel, b := range want {
		got, err := os.ReadFile(filepath.Join(chartFiles, rel))
		switch {
		case err != nil:
			t.Errorf("%s/%s: %v; run `make deploy-files`", chartFiles, rel, err)
		case !bytes.Equal(got, b):
			t.Errorf("%s/%s is stale; run `make deploy-files`", chartFiles, rel)
		}
	}
	if !slices.ContainsFunc(have, func(s string) bool { return filepath.Dir(s) == "dashboards/sum" }) {
		t.Errorf("no shard-mode dashboards under %s/dashboards/sum", chartFiles)
	}
}

// relToChartFiles is path p under dir (relative to deploy/) as a path
// relative to chartFiles.
func relToChartFiles(dir, p string) string {
	r, err := filepath.Rel(chartFiles, filepath.Join(dir, p))
	if err != nil {
		panic(err) // both relative: cannot fail
	}
	return r
}
