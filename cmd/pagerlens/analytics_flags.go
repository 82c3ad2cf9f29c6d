package main

import (
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/internal/config"
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

// analyticsFlags is loadAnalytics for the one-window commands (report,
// export): --window replaces the configured windows.
func analyticsFlags(configFile, now, window, roster string) (analytics.Config, analytics.Window, error) {
	cfg, err := loadAnalytics(configFile, now, roster)
	if err != nil {
		return cfg, analytics.Window{}, err
	}
	w, err := analytics.ParseWindow(window)
	if err != nil {
		return cfg, w, usageErrorf("--window: %v", err)
	}
	cfg.Windows = []analytics.Window{w}
	return cfg, w, nil
}
