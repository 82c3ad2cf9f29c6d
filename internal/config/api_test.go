package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/internal/server/api"
)

// TestAPI: the api: section's defaults are the api package's (SQL off),
// given values are read, and bad ones are problems naming their key.
func TestAPI(t *testing.T) {
	d := Default().API
	if d.SQL || d.MaxRows != api.DefaultMaxRows || time.Duration(d.Timeout) != api.DefaultTimeout || d.MaxConcurrent != api.DefaultMaxConcurrent {
		t.Errorf("Default().API = %+v; want SQL off and the api package's defaults", d)
	}
	for _, tc := range []struct {
		name, yaml string
		want       API
		wantErr    []string
	}{
		{name: "unset", yaml: "db: x.duckdb\n", want: d},
		{name: "sql on", yaml: "api: {sql: true, max_rows: 10, timeout: 2s, max_concurrent: 1}\n",
			want: API{SQL: true, MaxRows: 10, Timeout: Duration(2 * time.Second), MaxConcurrent: 1}},
		{name: "bad values", yaml: "api:\n  max_rows: 0\n  timeout: -1s\n  max_concurrent: -2\n",
			wantErr: []string{"line 2: api.max_rows: 0: want a positive number", "line 3: api.timeout: -1s: want a positive duration", "line 4: api.max_concurrent: -2"}},
		{name: "unknown key", yaml: "api:\n  sql_enabled: true\n", wantErr: []string{"line 2", "api.sql_enabled", "api.sql"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			if tc.wantErr != nil {
				for _, w := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("Load: err %v; want one containing %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.API != tc.want {
				t.Errorf("api = %+v; want %+v", cfg.API, tc.want)
			}
		})
	}
}
