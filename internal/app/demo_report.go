package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/store"
)

// writeDemoReport writes the demo's 30-day pager-fatigue report as one
// self-contained HTML file.
func writeDemoReport(ctx context.Context, st *store.Store, dir string) (string, error) {
	w, err := analytics.ParseWindow("30d")
	if err != nil {
		return "", err
	}
	r, err := report.Build(ctx, st, report.Options{Config: analytics.DefaultConfig(time.Now()), Window: w})
	if err != nil {
		return "", fmt.Errorf("fatigue report: %w", err)
	}
	path := filepath.Join(dir, demoReportFile)
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("fatigue report: %w", err)
	}
	if err := r.Write(f, report.HTML); err != nil {
		f.Close()
		return "", fmt.Errorf("fatigue report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("fatigue report %s: %w", path, err)
	}
	return path, nil
}
