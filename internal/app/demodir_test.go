package app

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestPrepareDemoDir: demo --dir never deletes what it did not create
// (issue 24: `demo --dir .` emptied a folder holding a.txt and sub/keep.txt).
func TestPrepareDemoDir(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   []string // relative paths created before
		wantErr string   // "" for success
		left    []string // files that must remain (and no others from before but these)
	}{
		{name: "missing directory", files: nil, left: []string{demoMarker}},
		{name: "foreign files refused", files: []string{"a.txt", "sub/keep.txt"}, wantErr: "was not made by pagerlens demo", left: []string{"a.txt", "sub/keep.txt"}},
		{name: "earlier demo replaced", files: []string{demoMarker, "pagerlens.duckdb", "grafana/x.json", "fatigue-report.html"}, left: []string{demoMarker}},
		{name: "earlier demo with a user's file beside", files: []string{demoMarker, "pagerlens.duckdb", "notes.txt"}, left: []string{demoMarker, "notes.txt"}},
		{name: "demo before the marker", files: []string{"pagerlens.duckdb", "pagerlens.duckdb.wal", "grafana/dashboards/a.json"}, left: []string{demoMarker}},
		{name: "store alone plus a foreign file", files: []string{"pagerlens.duckdb", "a.txt"}, wantErr: "a.txt", left: []string{"pagerlens.duckdb", "a.txt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			for _, f := range tc.files {
				p := filepath.Join(dir, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := prepareDemoDir(dir)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("prepareDemoDir: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("prepareDemoDir: %v, want an error containing %q", err, tc.wantErr)
			}
			var got []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					got = append(got, filepath.ToSlash(rel))
				}
				return nil
			})
			want := append([]string(nil), tc.left...)
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("files after: %v, want %v", got, want)
			}
		})
	}
}
