package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
)

// Analytics is the analytics: section: every choice docs/metrics.md leaves
// open. Each key defaults to analytics.DefaultConfig's value, so a config
// without the section computes exactly what `pagerlens metrics` does
// without flags. serve's /metrics refresher and export scheduler, and the
// metrics, report and export commands given --config, all read it, so that
// one figure means the same wherever it is shown.
type Analytics struct {
	// Windows are the look-back periods every windowed figure is computed
	// for ("7d", "12h", any Go duration). Each becomes a window label value.
	Windows []string `yaml:"windows"`
	// RosterFile is the roster YAML (time zones, teams, working hours);
	// relative to the working directory like every other file key.
	RosterFile string         `yaml:"roster_file"`
	Hours      AnalyticsHours `yaml:"hours"`
	// TransientAfter: an alert resolved by the system within this, with no
	// ack, is transient.
	TransientAfter Duration `yaml:"transient_after"`
	// FlapCount triggers of one alert key within FlapWithin make it flap.
	FlapCount  int      `yaml:"flap_count"`
	FlapWithin Duration `yaml:"flap_within"`
	// InterruptionFold: pages to one responder for one incident or alert
	// within this count as one interruption.
	InterruptionFold Duration       `yaml:"interruption_fold"`
	FatigueWeights   FatigueWeights `yaml:"fatigue_weights"`
	// InterruptionChannels are the page channels that count as
	// interruptions: some of phone, sms, push, email, chat, other, and
	// unknown (a page whose source names no channel).
	InterruptionChannels []string `yaml:"interruption_channels"`
	// MajorSeverities are the severities counted as major incidents.
	MajorSeverities []string `yaml:"major_severities"`
	// NoisiestAlerts is the N of the noisiest-alerts list.
	NoisiestAlerts int `yaml:"noisiest_alerts"`
	// ShiftIncidentLimit is the most incidents per 12-hour shift before a
	// shift counts as over the limit.
	ShiftIncidentLimit int `yaml:"shift_incident_limit"`
	// OnCallShareFlag flags responders on call for more than this share
	// (0–1) of the window.
	OnCallShareFlag float64 `yaml:"oncall_share_flag"`
	// UpdateGapTarget is the longest status-update silence tolerated in a
	// major incident.
	UpdateGapTarget Duration `yaml:"update_gap_target"`
}

// AnalyticsHours are the default working hours (a roster team's hours
// override them for its responders). Working days are names, as in the
// roster file: time.Weekday numbers start at Sunday = 0, an easy mistake in
// a hand-written file.
type AnalyticsHours struct {
	BusinessStart int      `yaml:"business_start"`
	BusinessEnd   int      `yaml:"business_end"`
	SleepStart    int      `yaml:"sleep_start"`
	SleepEnd      int      `yaml:"sleep_end"`
	WorkingDays   []string `yaml:"working_days"`
}

// FatigueWeights weigh interruptions by period in the fatigue score.
type FatigueWeights struct {
	Business float64 `yaml:"business"`
	OffHours float64 `yaml:"off_hours"`
	Sleep    float64 `yaml:"sleep"`
}

// DefaultAnalytics is analytics.DefaultConfig expressed as the YAML
// section, so that the two cannot drift apart.
func DefaultAnalytics() Analytics {
	d := analytics.DefaultConfig(time.Time{})
	a := Analytics{
		Hours: AnalyticsHours{
			BusinessStart: d.Hours.BusinessStart, BusinessEnd: d.Hours.BusinessEnd,
			SleepStart: d.Hours.SleepStart, SleepEnd: d.Hours.SleepEnd,
		},
		TransientAfter:     Duration(d.TransientAfter),
		FlapCount:          d.FlapCount,
		FlapWithin:         Duration(d.FlapWithin),
		InterruptionFold:   Duration(d.InterruptionFold),
		FatigueWeights:     FatigueWeights(d.FatigueWeights),
		MajorSeverities:    append([]string(nil), d.MajorSeverities...),
		NoisiestAlerts:     d.NoisiestAlerts,
		ShiftIncidentLimit: d.ShiftIncidentLimit,
		OnCallShareFlag:    d.OnCallShareFlag,
		// analytics reads 0 as its default; the config states the value
		// so that a reader of the defaults sees what applies.
		UpdateGapTarget: Duration(analytics.DefaultUpdateGapTarget),
		// A copy: the section may be edited, the default must not be.
		InterruptionChannels: append([]string(nil), d.InterruptionChannels...),
	}
	for _, w := range d.Windows {
		a.Windows = append(a.Windows, w.Name)
	}
	for _, wd := range d.Hours.WorkingDays {
		a.Hours.WorkingDays = append(a.Hours.WorkingDays, strings.ToLower(wd.String()[:3]))
	}
	return a
}

// Config checks the section and turns it into an analytics.Config ending
// at now, with the roster file loaded (its time zones checked). Callers
// that compute repeatedly call it once and then only move Now, so that a
// roster edited on disk cannot break a running serve half-way.
func (a Analytics) Config(now time.Time) (analytics.Config, error) {
	cfg := analytics.DefaultConfig(now)
	// Every problem of the section is collected (errors.Join), so that a
	// config is fixed in one edit, not one run per mistake.
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	ws, err := parseWindows(a.Windows)
	if err != nil {
		fail(fmt.Errorf("analytics.windows: %w", err))
	}
	cfg.Windows = ws
	if cfg.Hours, err = a.Hours.resolve(); err != nil {
		for _, e := range splitJoined(err) {
			fail(fmt.Errorf("analytics.hours.%w", e))
		}
	}
	for _, d := range []struct {
		key string
		v   Duration
		dst *time.Duration
	}{
		{"transient_after", a.TransientAfter, &cfg.TransientAfter},
		{"flap_within", a.FlapWithin, &cfg.FlapWithin},
		{"interruption_fold", a.InterruptionFold, &cfg.InterruptionFold},
		{"update_gap_target", a.UpdateGapTarget, &cfg.UpdateGapTarget},
	} {
		// 0 would silently mean "never" (transient, flapping) or, for
		// the update gap, analytics' own default: neither is what a
		// reader of "0s" expects.
		if d.v <= 0 {
			fail(fmt.Errorf("analytics.%s %s: want a positive duration", d.key, time.Duration(d.v)))
			continue
		}
		*d.dst = time.Duration(d.v)
	}
	for _, n := range []struct {
		key string
		v   int
		dst *int
	}{
		{"flap_count", a.FlapCount, &cfg.FlapCount},
		{"noisiest_alerts", a.NoisiestAlerts, &cfg.NoisiestAlerts},
		{"shift_incident_limit", a.ShiftIncidentLimit, &cfg.ShiftIncidentLimit},
	} {
		if n.v < 1 {
			fail(fmt.Errorf("analytics.%s %d: want 1 or more", n.key, n.v))
			continue
		}
		*n.dst = n.v
	}
	w := a.FatigueWeights
	if w.Business < 0 || w.OffHours < 0 || w.Sleep < 0 || w == (FatigueWeights{}) {
		// All zero would make every score 0, and the exporter reads zero
		// weights as "use the defaults", so folded and unfolded scores
		// would disagree.
		fail(fmt.Errorf("analytics.fatigue_weights %+v: want weights ≥ 0, not all 0", w))
	}
	cfg.FatigueWeights = analytics.FatigueWeights(w)
	if err := analytics.CheckInterruptionChannels(a.InterruptionChannels); err != nil {
		fail(fmt.Errorf("analytics.interruption_channels: %w", err))
	}
	cfg.InterruptionChannels = append([]string(nil), a.InterruptionChannels...)
	if len(a.MajorSeverities) == 0 {
		fail(errors.New("analytics.major_severities: empty; list the severities that count as major (e.g. [SEV1, SEV2])"))
	}
	cfg.MajorSeverities = append([]string(nil), a.MajorSeverities...)
	if a.OnCallShareFlag <= 0 || a.OnCallShareFlag > 1 {
		fail(fmt.Errorf("analytics.oncall_share_flag %g: want a share in (0, 1]", a.OnCallShareFlag))
	}
	cfg.OnCallShareFlag = a.OnCallShareFlag
	if a.RosterFile != "" {
		r, err := analytics.LoadRoster(a.RosterFile)
		if err != nil {
			fail(fmt.Errorf("analytics.roster_file: %w", err))
		}
		cfg.Roster = r
	}
	return cfg, errors.Join(errs...)
}

// parseWindows reads the window names. Duplicates are errors: two windows
// with one label value would collide as Prometheus series.
func parseWindows(names []string) ([]analytics.Window, error) {
	if len(names) == 0 {
		return nil, errors.New("empty; list at least one window such as 30d")
	}
	seen := map[string]bool{}
	var out []analytics.Window
	for _, s := range names {
		w, err := analytics.ParseWindow(s)
		if err != nil {
			return nil, err
		}
		if seen[w.Name] {
			return nil, fmt.Errorf("window %q listed twice", w.Name)
		}
		seen[w.Name] = true
		out = append(out, w)
	}
	return out, nil
}

// resolve checks the hours with the roster file's checks (analytics'
// Hours.Validate and ParseWorkingDays), so a value valid in one is valid in
// both.
func (h AnalyticsHours) resolve() (analytics.Hours, error) {
	out := analytics.Hours{BusinessStart: h.BusinessStart, BusinessEnd: h.BusinessEnd,
		SleepStart: h.SleepStart, SleepEnd: h.SleepEnd}
	if err := out.Validate(); err != nil {
		return analytics.Hours{}, err
	}
	days, err := analytics.ParseWorkingDays(h.WorkingDays)
	if err != nil {
		return analytics.Hours{}, err
	}
	out.WorkingDays = days
	return out, nil
}
