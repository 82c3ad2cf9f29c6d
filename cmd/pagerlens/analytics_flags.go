package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

// loadAnalytics builds the analytics config of the metrics, report and
// export commands: --config's analytics: section (the defaults without
// one), so that they compute what serve computes from the same file; then
// --roster over its roster_file and --now (default: the current time).
// Every error is a usage error (exit 2), as a bad config is for serve.
func loadAnalytics(configFile, now, roster string) (analytics.Config, error) {
	a := config.DefaultAnalytics()
	if configFile != "" {
		c, err := config.Load(configFile)
		if err != nil {
			return analytics.Config{}, exitError{code: 2, err: err}
		}
		a = c.Analytics
	}
	return analyticsConfig(a, now, roster)
}

// analyticsConfig is loadAnalytics once the analytics: section is read.
func analyticsConfig(a config.Analytics, now, roster string) (analytics.Config, error) {
	if roster != "" {
		// The flag replaces the file's roster rather than adding to it:
		// the configured path may not exist where the command runs.
		a.RosterFile = roster
	}
	at := time.Now()
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return analytics.Config{}, usageErrorf("--now %q: want an RFC 3339 time such as 2026-03-09T00:00:00Z", now)
		}
		at = t
	}
	cfg, err := a.Config(at)
	if err != nil {
		return analytics.Config{}, exitError{code: 2, err: err}
	}
	return cfg, nil
}

// windowFlags are the flags of the one-window commands that read a store
// (report fatigue, export). Defined once, they keep the same names,
// defaults and help in both, and reach loadAnalytics by field rather than
// as positional strings.
type windowFlags struct {
	db, window, now, roster, configFile string
	// merge lists shard stores to read as one (docs/scaling.md).
	merge []string
}

// register defines the flags on f; windowUsage is --window's help.
func (w *windowFlags) register(f *pflag.FlagSet, windowUsage string) {
	dbFlag(f, &w.db)
	f.StringVar(&w.window, "window", "30d", windowUsage)
	f.StringVar(&w.now, "now", "", "end of the window, RFC 3339 (default: the current time)")
	f.StringVar(&w.roster, "roster", "", "roster YAML file (time zones, teams, working hours); overrides analytics.roster_file")
	f.StringVar(&w.configFile, "config", "", "serve's YAML config: its analytics: section sets the thresholds (docs/metrics.md)")
	f.StringSliceVar(&w.merge, "merge", nil, "read these shard stores as one, each event once, instead of --db (comma-separated or repeated)")
}

// open opens --db read-only, or, with --merge, a temporary store holding
// the union of the shard stores (store.Merge: events deduplicated by id,
// analytics re-derived), so that a report or export over shards equals
// the one a single instance would give. done closes the store and removes
// the temporary file.
func (w *windowFlags) open(cmd *cobra.Command) (st *store.Store, done func(), err error) {
	if len(w.merge) == 0 {
		st, err := openReadOnly(cmd, w.db)
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "pagerlens-merge-")
	if err != nil {
		return nil, nil, fmt.Errorf("--merge: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	st, err = app.OpenStore(cmd.Context(), filepath.Join(dir, "merged.duckdb"), store.DefaultOptions())
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("--merge: %w", err)
	}
	if _, err := store.Merge(cmd.Context(), st, splitList(w.merge)); err != nil {
		st.Close()
		cleanup()
		return nil, nil, fmt.Errorf("--merge: %w", err)
	}
	return st, func() { st.Close(); cleanup() }, nil
}

// load is loadAnalytics for one window: --window replaces the
// configured windows.
func (w *windowFlags) load() (analytics.Config, analytics.Window, error) {
	cfg, err := loadAnalytics(w.configFile, w.now, w.roster)
	if err != nil {
		return cfg, analytics.Window{}, err
	}
	win, err := analytics.ParseWindow(w.window)
	if err != nil {
		return cfg, win, usageErrorf("--window: %v", err)
	}
	cfg.Windows = []analytics.Window{win}
	return cfg, win, nil
}
