package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pagerlens/pagerlens/store"
)

// demoMarker marks a directory as made by pagerlens demo.
const demoMarker = ".pagerlens-demo"

// The demo's files besides the store.
const (
	demoGrafanaDir = "grafana"
	demoReportFile = "fatigue-report.html"
)

// demoFiles are what a demo run writes into its directory, and so all that
// a later run may remove: a tool never deletes files it did not create.
var demoFiles = []string{demoMarker, store.DefaultFile, store.DefaultFile + ".wal", demoGrafanaDir, demoReportFile}

// prepareDemoDir makes dir ready for a fresh demo run: created if missing;
// if it holds an earlier demo's files (the marker, or only names a demo
// writes, as demos before the marker left them), those are removed and
// nothing else; any other non-empty directory is refused, untouched.
func prepareDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("demo: %w", err)
	case len(entries) > 0:
		own := map[string]bool{}
		for _, n := range demoFiles {
			own[n] = true
		}
		marked := false
		var foreign []string
		for _, e := range entries {
			if e.Name() == demoMarker {
				marked = true
			}
			if !own[e.Name()] {
				foreign = append(foreign, e.Name())
			}
		}
		if !marked && len(foreign) > 0 {
			if len(foreign) > 3 {
				foreign = append(foreign[:3], "…")
			}
			return fmt.Errorf("demo: %s is not empty (%s) and was not made by pagerlens demo; it is left as it is: choose a new or empty directory with --dir (the default is ./pagerlens-demo)",
				dir, strings.Join(foreign, ", "))
		}
		// A previous demo's directory: replace only its own files; a
		// file the user put beside them stays.
		for _, n := range demoFiles {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return fmt.Errorf("demo: clear the previous demo's %s: %w", n, err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	marker := "This directory was made by `pagerlens demo`; the next demo run replaces its store, dashboards and report (and nothing else).\n"
	if err := os.WriteFile(filepath.Join(dir, demoMarker), []byte(marker), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}
