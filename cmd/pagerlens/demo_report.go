package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/store"
)

// writeDemoReport writes the demo's fatigue report. Until the report
// package lands it is the on-call section of the snapshot as JSON.
func writeDemoReport(ctx context.Context, st *store.Store, dir string) (string, error) {
	snap, err := analytics.Compute(ctx, st, analytics.DefaultConfig(time.Now()))
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "fatigue-report.json")
	b, err := json.MarshalIndent(struct {
		Now        time.Time                 `json:"now"`
		Responders []analytics.ResponderLoad `json:"responders"`
		Teams      []analytics.TeamLoad      `json:"teams"`
	}{snap.Now, snap.Responders, snap.Teams}, "", "  ")
	if err != nil {
		return "", fmt.Errorf("fatigue report: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", fmt.Errorf("fatigue report: %w", err)
	}
	return path, nil
}
