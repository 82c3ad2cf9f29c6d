package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/ingest"
)

// TestAnalyticsDefaults: a config without the section computes exactly
// analytics.DefaultConfig (UpdateGapTarget aside, which analytics spells 0
// and the config spells 30m; both mean 30 minutes).
func TestAnalyticsDefaults(t *testing.T) {
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	got, err := Default().Analytics.Config(now)
	if err != nil {
		t.Fatal(err)
	}
	want := analytics.DefaultConfig(now)
	want.UpdateGapTarget = analytics.DefaultUpdateGapTarget
	if !reflect.DeepEqual(got, want) {
		t.Errorf("default analytics config\n got %+v\nwant %+v", got, want)
	}
}

func TestAnalyticsLoad(t *testing.T) {
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	roster := filepath.Join(dir, "roster.yaml")
	if err := os.WriteFile(roster, []byte("responders:\n  - name: bo\n    timezone: Asia/Tokyo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badZone := filepath.Join(dir, "bad-zone.yaml")
	if err := os.WriteFile(badZone, []byte("responders:\n  - name: bo\n    timezone: Mars/Olympus\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c analytics.Config)
		err   string // substring of the Load or Config error; "" for none
	}{
		{
			name: "every key",
			yaml: `analytics:
  windows: [1d, 12h]
  roster_file: ` + roster + `
  hours: {business_start: 9, business_end: 17, sleep_start: 23, sleep_end: 7, working_days: [mon, tuesday, sun]}
  transient_after: 10m
  flap_count: 4
  flap_within: 30m
  interruption_fold: 5m
  interruption_channels: [phone, email, unknown]
  fatigue_weights: {business: 1, off_hours: 3, sleep: 10}
  major_severities: [P1]
  noisiest_alerts: 5
  shift_incident_limit: 3
  oncall_share_flag: 0.5
  update_gap_target: 15m
`,
			check: func(t *testing.T, c analytics.Config) {
				want := analytics.Config{
					Now:     now,
					Windows: []analytics.Window{{Name: "1d", Duration: 24 * time.Hour}, {Name: "12h", Duration: 12 * time.Hour}},
					Hours: analytics.Hours{BusinessStart: 9, BusinessEnd: 17, SleepStart: 23, SleepEnd: 7,
						WorkingDays: []time.Weekday{time.Monday, time.Tuesday, time.Sunday}},
					TransientAfter: 10 * time.Minute, FlapCount: 4, FlapWithin: 30 * time.Minute,
					InterruptionFold: 5 * time.Minute,
					FatigueWeights:   analytics.FatigueWeights{Business: 1, OffHours: 3, Sleep: 10},
					MajorSeverities:  []string{"P1"}, NoisiestAlerts: 5, ShiftIncidentLimit: 3,
					OnCallShareFlag: 0.5, UpdateGapTarget: 15 * time.Minute,
					// in the order given
					InterruptionChannels: []string{"phone", "email", "unknown"},
				}
				if c.Roster == nil || len(c.Roster.Responders) != 1 || c.Roster.Responders[0].Timezone != "Asia/Tokyo" {
					t.Errorf("roster %+v", c.Roster)
				}
				c.Roster = nil
				if !reflect.DeepEqual(c, want) {
					t.Errorf("\n got %+v\nwant %+v", c, want)
				}
			},
		},
		{
			// Keys left out keep their defaults; a list replaces, never
			// appends to, the default list.
			name: "partial",
			yaml: "analytics:\n  windows: [30d]\n  hours: {business_start: 7}\n  fatigue_weights: {sleep: 8}\n",
			check: func(t *testing.T, c analytics.Config) {
				if len(c.Windows) != 1 || c.Windows[0].Name != "30d" {
					t.Errorf("windows %+v", c.Windows)
				}
				if c.Hours.BusinessStart != 7 || c.Hours.BusinessEnd != 18 || len(c.Hours.WorkingDays) != 5 {
					t.Errorf("hours %+v", c.Hours)
				}
				if c.FatigueWeights != (analytics.FatigueWeights{Business: 1, OffHours: 2, Sleep: 8}) {
					t.Errorf("weights %+v", c.FatigueWeights)
				}
				if !reflect.DeepEqual(c.InterruptionChannels, []string{"phone", "sms", "push", "unknown"}) {
					t.Errorf("interruption channels %v, want the default", c.InterruptionChannels)
				}
				if c.TransientAfter != 5*time.Minute || c.FlapCount != 3 || c.Roster != nil {
					t.Errorf("defaults lost: %+v", c)
				}
			},
		},
		{
			name: "no working days",
			yaml: "analytics:\n  hours: {working_days: []}\n",
			check: func(t *testing.T, c analytics.Config) {
				if len(c.Hours.WorkingDays) != 0 {
					t.Errorf("working days %v", c.Hours.WorkingDays)
				}
			},
		},
		{name: "unknown key", yaml: "analytics:\n  window: [7d]\n", err: "line 2: analytics.window: unknown key (did you mean windows?)"},
		{name: "bad window", yaml: "analytics:\n  windows: [7d, fortnight]\n", err: `analytics.windows: window "fortnight"`},
		{name: "duplicate window", yaml: "analytics:\n  windows: [7d, 7d]\n", err: `window "7d" listed twice`},
		{name: "no windows", yaml: "analytics:\n  windows: []\n", err: "analytics.windows: empty"},
		{name: "bad duration", yaml: "analytics:\n  transient_after: soon\n", err: `"soon" is not a duration`},
		{name: "zero duration", yaml: "analytics:\n  flap_within: 0s\n", err: "line 2: analytics.flap_within: 0s: want a positive duration"},
		{name: "hour out of range", yaml: "analytics:\n  hours: {sleep_start: 25}\n", err: "analytics.hours.sleep_start: 25: want an hour 0..24"},
		{name: "business backwards", yaml: "analytics:\n  hours: {business_start: 19}\n", err: "analytics.hours.business_start: 19 is after business_end 18"},
		{name: "bad weekday", yaml: "analytics:\n  hours: {working_days: [mon, funday]}\n", err: `"funday" is not a weekday`},
		{name: "zero count", yaml: "analytics:\n  flap_count: 0\n", err: "line 2: analytics.flap_count: 0"},
		{name: "negative weight", yaml: "analytics:\n  fatigue_weights: {sleep: -1}\n", err: "analytics.fatigue_weights"},
		{name: "all-zero weights", yaml: "analytics:\n  fatigue_weights: {business: 0, off_hours: 0, sleep: 0}\n", err: "not all 0"},
		{name: "unknown channel", yaml: "analytics:\n  interruption_channels: [phone, pager]\n", err: `line 2: analytics.interruption_channels: "pager" is not a channel; want some of phone, sms, push, email, chat, other, unknown`},
		{name: "channel twice", yaml: "analytics:\n  interruption_channels: [sms, sms]\n", err: `analytics.interruption_channels: "sms" listed twice`},
		{name: "no channels", yaml: "analytics:\n  interruption_channels: []\n", err: "analytics.interruption_channels: empty"},
		{name: "no major severities", yaml: "analytics:\n  major_severities: []\n", err: "analytics.major_severities: empty"},
		{name: "share over 1", yaml: "analytics:\n  oncall_share_flag: 25\n", err: "line 2: analytics.oncall_share_flag: 25"},
		{name: "missing roster", yaml: "analytics:\n  roster_file: " + filepath.Join(dir, "nope.yaml") + "\n", err: "analytics.roster_file: roster: open"},
		{name: "unknown timezone", yaml: "analytics:\n  roster_file: " + badZone + "\n", err: `timezone "Mars/Olympus" is not an IANA time zone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pagerlens.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			var c analytics.Config
			if err == nil {
				c, err = cfg.Analytics.Config(now)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

// TestREADMEExample: the README's configuration example loads with the
// strict decoder, and its analytics: section, which claims to show the
// defaults, does.
func TestREADMEExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "## Configuration")
	if i < 0 {
		t.Fatal("README has no Configuration section")
	}
	s = s[i:]
	start := strings.Index(s, "```yaml\n")
	if start < 0 {
		t.Fatal("no yaml block in README's Configuration section")
	}
	s = s[start+len("```yaml\n"):]
	end := strings.Index(s, "```")
	if end < 0 {
		t.Fatal("unterminated yaml block")
	}
	path := filepath.Join(t.TempDir(), "readme.yaml")
	if err := os.WriteFile(path, []byte(s[:end]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	got := cfg.Analytics
	if got.RosterFile == "" {
		t.Error("the example should show roster_file")
	}
	got.RosterFile = "" // the only key whose default is "none"
	if !reflect.DeepEqual(got, DefaultAnalytics()) {
		t.Errorf("README analytics: section is not the defaults:\n got %+v\nwant %+v", got, DefaultAnalytics())
	}
	if len(cfg.Exports) == 0 || cfg.Webhooks.PagerDuty == nil {
		t.Errorf("exports %d, webhooks %+v: the example's sections were not read", len(cfg.Exports), cfg.Webhooks)
	}
	// The example states the defaults of these keys: the owning packages'
	// constants, through Default.
	def := Default()
	for _, k := range []struct {
		key       string
		got, want any
	}{
		{"listen", cfg.Listen, def.Listen},
		{"store.memory_limit", cfg.Store.MemoryLimit, def.Store.MemoryLimit},
		{"store.threads", cfg.Store.Threads, def.Store.Threads},
		{"store.go_memory_limit", cfg.Store.GoMemoryLimit, def.Store.GoMemoryLimit},
		{"kafka.group", cfg.Kafka.Group, def.Kafka.Group},
		{"kafka.batch_size", cfg.Kafka.BatchSize, def.Kafka.BatchSize},
		{"kafka.batch_max", cfg.Kafka.BatchMax, def.Kafka.BatchMax},
		{"kafka.batch_wait", cfg.Kafka.BatchWait, def.Kafka.BatchWait},
		{"kafka.wait_for_brokers", cfg.Kafka.WaitForBrokers, def.Kafka.WaitForBrokers},
		{"prometheus.refresh_interval", cfg.Prometheus.RefreshInterval, def.Prometheus.RefreshInterval},
		{"prometheus.responder_label", cfg.Prometheus.ResponderLabel, def.Prometheus.ResponderLabel},
		{"prometheus.max_alertnames", cfg.Prometheus.MaxAlertnames, def.Prometheus.MaxAlertnames},
	} {
		if k.got != k.want {
			t.Errorf("README example %s: %v; the default is %v", k.key, k.got, k.want)
		}
	}
}

// TestDocsDefaults: the defaults the docs' prose states are the constants.
func TestDocsDefaults(t *testing.T) {
	def := Default()
	for _, d := range []struct{ file, text string }{
		{"README.md", "with the same default (" + def.Store.GoMemoryLimit + ")"},
		{"README.md", "`/metrics` on `" + def.Listen + "`"},
		{"docs/prometheus.md", "`/metrics` (default `" + def.Listen + "`)"},
		{"docs/prometheus.md", "(default `" + def.Prometheus.ResponderLabel + "`)"},
		{"docs/schema.md", fmt.Sprintf("Kafka: up to %s messages or %d ms", thousands(def.Kafka.BatchSize), time.Duration(def.Kafka.BatchWait).Milliseconds())},
		{"docs/schema.md", fmt.Sprintf("file ingest: %s lines", thousands(ingest.DefaultFileBatchSize))},
		{"docs/scaling.md", fmt.Sprintf("capped at %s", thousands(ingest.DefaultBatchMaxCap))},
		{"docs/operations.md", fmt.Sprintf("most %s; never below `--batch-size`", thousands(ingest.DefaultBatchMaxCap))},
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", d.file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(strings.Fields(string(b)), " "), d.text) {
			t.Errorf("%s does not say %q", d.file, d.text)
		}
	}
}

// thousands writes n as the docs do: 5,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestAnalyticsProblemsAtOnce: every problem of the analytics: section is
// reported in one run, each under its own key.
func TestAnalyticsProblemsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "analytics:\n  windows: [7x]\n  hours: {business_start: 19, business_end: 18, sleep_start: 30}\n  flap_count: 0\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil {
		t.Fatal("loaded; want the problems")
	}
	for _, key := range []string{"analytics.windows", "analytics.hours.sleep_start", "analytics.hours.business_start", "analytics.flap_count"} {
		if !strings.Contains(err.Error(), key+":") {
			t.Errorf("no problem under %s in:\n%v", key, err)
		}
	}
}
