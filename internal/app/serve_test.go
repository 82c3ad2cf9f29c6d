package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/config"
)

// TestServeAnalyticsConfig: a bad analytics: section stops serve with exit
// code 2 and a message naming the key, before the store is even opened.
func TestServeAnalyticsConfig(t *testing.T) {
	dir := t.TempDir()
	badZone := filepath.Join(dir, "roster.yaml")
	if err := os.WriteFile(badZone, []byte("teams:\n  - name: search\n    timezone: Europe/Atlantis\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(a *config.Analytics)
		want string
	}{
		{"bad window", func(a *config.Analytics) { a.Windows = []string{"7d", "-1h"} }, `analytics.windows: window "-1h"`},
		{"unknown timezone", func(a *config.Analytics) { a.RosterFile = badZone }, `timezone "Europe/Atlantis" is not an IANA time zone`},
		{"missing roster", func(a *config.Analytics) { a.RosterFile = filepath.Join(dir, "nope.yaml") }, "analytics.roster_file: roster: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.DB = filepath.Join(t.TempDir(), "s.duckdb")
			cfg.Kafka.Brokers = []string{"127.0.0.1:1"}
			cfg.Kafka.Topics = []ingest.Topic{{Name: "t"}}
			tt.edit(&cfg.Analytics)
			err := Serve(context.Background(), cfg)
			if !config.IsError(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Serve: %v, want a configuration error (exit 2) with %q", err, tt.want)
			}
			if _, err := os.Stat(cfg.DB); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("store created before the config was checked: %v", err)
			}
		})
	}
}

// TestAnalyticsAt: every refresh computes as of its own time, with the
// configured settings; the base (serve's start) is never the window's end.
func TestAnalyticsAt(t *testing.T) {
	start := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	base := analytics.DefaultConfig(start)
	base.FlapCount = 7
	at := analyticsAt(base)
	for _, now := range []time.Time{
		start.Add(30 * time.Second),
		start.Add(24 * time.Hour),
		time.Date(2026, 3, 10, 9, 0, 0, 0, time.FixedZone("CET", 3600)),
	} {
		c := at(now)
		if !c.Now.Equal(now) || c.Now.Location() != time.UTC {
			t.Errorf("Now %v, want %v in UTC", c.Now, now)
		}
		if c.FlapCount != 7 {
			t.Errorf("FlapCount %d: the configured settings were lost", c.FlapCount)
		}
	}
	if !base.Now.Equal(start) {
		t.Errorf("base changed: %v", base.Now)
	}
}
