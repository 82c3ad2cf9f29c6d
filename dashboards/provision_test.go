package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteProvisioning(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		wantURL  string
		wantPath func(dir string) string
	}{
		{"defaults", Options{}, `"http://localhost:9090"`, func(dir string) string { return filepath.Join(dir, DashboardsDir) }},
		{"container", Options{PrometheusURL: "http://prometheus:9090/#x", ProvisionedPath: "/var/lib/grafana/dashboards/pagerlens"},
			`"http://prometheus:9090/#x"`, func(string) string { return "/var/lib/grafana/dashboards/pagerlens" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteProvisioning(dir, tt.opts); err != nil {
				t.Fatal(err)
			}
			provider := read(t, filepath.Join(dir, ProviderFile))
			for _, want := range []string{
				"apiVersion: 1", "type: file", `folder: "Reliability"`, `folderUid: "pagerlens"`,
				"path: " + mustJSON(tt.wantPath(dir)),
			} {
				if !strings.Contains(provider, want) {
					t.Errorf("provider lacks %q:\n%s", want, provider)
				}
			}
			ds := read(t, filepath.Join(dir, DatasourceFile))
			for _, want := range []string{"type: prometheus", "url: " + tt.wantURL, `uid: "pagerlens-prometheus"`} {
				if !strings.Contains(ds, want) {
					t.Errorf("datasource lacks %q:\n%s", want, ds)
				}
			}
			entries, err := os.ReadDir(filepath.Join(dir, DashboardsDir))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
				var m map[string]any
				if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, DashboardsDir, e.Name()))), &m); err != nil {
					t.Errorf("%s: %v", e.Name(), err)
				}
				if m["uid"].(string)+".json" != e.Name() {
					t.Errorf("%s holds uid %v", e.Name(), m["uid"])
				}
			}
			if len(names) != len(golden) {
				t.Errorf("dashboard files %v, want %d (and no temporary files)", names, len(golden))
			}
		})
	}
}

func TestWriteProvisioningBadOptions(t *testing.T) {
	if err := WriteProvisioning(t.TempDir(), Options{Aggregation: "avg"}); err == nil {
		t.Error("bad aggregation accepted")
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
