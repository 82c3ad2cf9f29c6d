package analytics

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

// Window is a named look-back period ending at Config.Now.
type Window struct {
	Name     string        // "7d", label value of the window label
	Duration time.Duration // 7 * 24h
}

// ParseWindow reads "7d", "12h" or any Go duration.
func ParseWindow(s string) (Window, error) {
	var n int
	if _, err := fmt.Sscanf(s, "%dd", &n); err == nil && fmt.Sprintf("%dd", n) == s && n > 0 {
		return Window{Name: s, Duration: time.Duration(n) * 24 * time.Hour}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return Window{}, fmt.Errorf("window %q: want a positive duration such as 7d or 12h", s)
	}
	return Window{Name: s, Duration: d}, nil
}

// Hours is the working-hours definition used to bucket interruptions.
type Hours struct {
	BusinessStart int            `yaml:"business_start"` // local hour business hours start (8)
	BusinessEnd   int            `yaml:"business_end"`   // local hour they end (18)
	SleepStart    int            `yaml:"sleep_start"`    // local hour sleep hours start (22)
	SleepEnd      int            `yaml:"sleep_end"`      // local hour they end (8)
	WorkingDays   []time.Weekday `yaml:"working_days"`   // Monday..Friday
}

// FatigueWeights weigh interruptions by period in the fatigue score.
type FatigueWeights struct {
	Business float64 `yaml:"business"`
	OffHours float64 `yaml:"off_hours"`
	Sleep    float64 `yaml:"sleep"`
}

// Config holds every choice that metrics.md leaves open, with its default.
type Config struct {
	// Now ends every window; injectable for tests and reports.
	Now     time.Time
	Windows []Window
	Hours   Hours
	// TransientAfter: an alert resolved by the system within this, unacked, is transient.
	TransientAfter time.Duration
	// FlapCount triggers of one alert key within FlapWithin make it flapping.
	FlapCount  int
	FlapWithin time.Duration
	// InterruptionFold: pages to one responder for one incident/alert within this count once.
	InterruptionFold time.Duration
	// InterruptionChannels are the page channels (event.Channels, and
	// ChannelUnknown for a page whose source names none) that interrupt:
	// only those pages count as interruptions, in every figure built on
	// them. Empty means DefaultInterruptionChannels.
	InterruptionChannels []string
	FatigueWeights       FatigueWeights
	// MajorSeverities are the severities counted as major incidents.
	MajorSeverities []string
	// NoisiestAlerts is the N of the noisiest-alerts list.
	NoisiestAlerts int
	// ShiftIncidentLimit is the Google SRE limit of incidents per 12-hour shift.
	ShiftIncidentLimit int
	// OnCallShareFlag flags responders on call for more than this share of the window.
	OnCallShareFlag float64
	UpdateGapTarget time.Duration // longest status-update gap of a major incident; 0 means DefaultUpdateGapTarget (30 min)
	// Roster fills in time zones and teams that events lack. May be nil.
	Roster *Roster
	// Tune holds the alert-tuning simulations' candidates and thresholds
	// (tune.go); DefaultTune's values by default.
	Tune Tune
}

// Tune is the alert-tuning simulations' configuration (docs/metrics.md,
// "Alert tuning"): the analytics.tune section of the YAML config.
type Tune struct {
	// For are the candidate for: durations, shortest first.
	For []time.Duration
	// KeepFiringFor are the candidate keep_firing_for: durations.
	KeepFiringFor []time.Duration
	// MaxAddedDelay caps the for: recommendation: no candidate longer
	// than this delays every actionable alert.
	MaxAddedDelay time.Duration
	// InhibitShare and InhibitWithin: alert name A inhibits B when at
	// least InhibitShare of B's lives start within InhibitWithin after a
	// life of A starts (inclusive).
	InhibitShare  float64
	InhibitWithin time.Duration
	// DeferMinAlerts: an alert name needs at least this many alerts in the
	// window for business-hours deferral to be considered.
	DeferMinAlerts int
}

// DefaultTuneWindow is the window pagerlens tune replays (--window), and
// the one the snapshot's tuning section prefers when it is configured.
var DefaultTuneWindow = Window{Name: "30d", Duration: 30 * 24 * time.Hour}

// DefaultTune is the defaults: candidates 1m, 2m, 5m, 10m, 15m for
// both, a 5-minute delay cap, inhibition at 80% within 2 minutes, deferral
// from 3 alerts.
func DefaultTune() Tune {
	c := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute}
	return Tune{
		For: c, KeepFiringFor: slices.Clone(c),
		MaxAddedDelay: 5 * time.Minute,
		InhibitShare:  0.8, InhibitWithin: 2 * time.Minute,
		DeferMinAlerts: 3,
	}
}

// Validate reports the first bad setting, named by its YAML key.
func (t Tune) Validate() error {
	for _, l := range []struct {
		key string
		ds  []time.Duration
	}{{"for", t.For}, {"keep_firing_for", t.KeepFiringFor}} {
		if len(l.ds) == 0 {
			return fmt.Errorf("%s: empty; list candidate durations such as [1m, 5m]", l.key)
		}
		for i, d := range l.ds {
			if d <= 0 || d%time.Second != 0 {
				return fmt.Errorf("%s: %s: want a positive whole number of seconds", l.key, d)
			}
			if i > 0 && d <= l.ds[i-1] {
				return fmt.Errorf("%s: %s after %s: list the candidates shortest first, each once", l.key, d, l.ds[i-1])
			}
		}
	}
	if t.MaxAddedDelay <= 0 {
		return fmt.Errorf("max_added_delay %s: want a positive duration", t.MaxAddedDelay)
	}
	if t.InhibitShare <= 0 || t.InhibitShare > 1 {
		return fmt.Errorf("inhibit_share %g: want a share in (0, 1]", t.InhibitShare)
	}
	if t.InhibitWithin <= 0 {
		return fmt.Errorf("inhibit_within %s: want a positive duration", t.InhibitWithin)
	}
	if t.DeferMinAlerts < 1 {
		return fmt.Errorf("defer_min_alerts %d: want 1 or more", t.DeferMinAlerts)
	}
	return nil
}

// DefaultConfig is metrics.md's defaults with Now = now.
func DefaultConfig(now time.Time) Config {
	return Config{
		Now: now.UTC(),
		Windows: []Window{
			{"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"90d", 90 * 24 * time.Hour},
		},
		Hours: Hours{BusinessStart: 8, BusinessEnd: 18, SleepStart: 22, SleepEnd: 8,
			WorkingDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}},
		TransientAfter:       5 * time.Minute,
		FlapCount:            3,
		FlapWithin:           time.Hour,
		InterruptionFold:     2 * time.Minute,
		InterruptionChannels: slices.Clone(DefaultInterruptionChannels),
		FatigueWeights:       FatigueWeights{Business: 1, OffHours: 2, Sleep: 4},
		MajorSeverities:      []string{"SEV1", "SEV2"},
		NoisiestAlerts:       10,
		ShiftIncidentLimit:   2,
		OnCallShareFlag:      0.25,
		Tune:                 DefaultTune(),
	}
}

// ChannelUnknown names, in Config.InterruptionChannels, the pages whose
// channel is unknown (stored without one: no webhook source says how it
// notified, docs/sources.md).
const ChannelUnknown = "unknown"

// DefaultInterruptionChannels are PagerDuty's: its Responder Insights count
// a push, phone or SMS notification as an interruption and leave e-mail out
// (docs/metrics.md). A page of unknown channel counts too, since most
// sources do not say and leaving their pages out would count nothing.
// Chat and other channels, like e-mail, are read when convenient and do not
// interrupt by default.
var DefaultInterruptionChannels = []string{event.ChannelPhone, event.ChannelSMS, event.ChannelPush, ChannelUnknown}

// CheckInterruptionChannels reports the first name in cs that is not a
// channel (event.Channels or ChannelUnknown), a name given twice, or an
// empty list.
func CheckInterruptionChannels(cs []string) error {
	if len(cs) == 0 {
		return errors.New("empty; list the channels that interrupt, e.g. [phone, sms, push, unknown]")
	}
	known := append(slices.Clone(event.Channels), ChannelUnknown)
	seen := map[string]bool{}
	for _, c := range cs {
		if !slices.Contains(known, c) {
			return fmt.Errorf("%q is not a channel; want some of %s", c, strings.Join(known, ", "))
		}
		if seen[c] {
			return fmt.Errorf("%q listed twice", c)
		}
		seen[c] = true
	}
	return nil
}

// interruptionChannels is cfg's list with the default for none, each as
// stored ("" for ChannelUnknown).
func (cfg Config) interruptionChannels() []string {
	cs := cfg.InterruptionChannels
	if len(cs) == 0 {
		cs = DefaultInterruptionChannels
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		if c != ChannelUnknown {
			out[i] = c
		}
	}
	return out
}

// Roster is the YAML roster file: what events do not say about people and teams.
type Roster struct {
	Responders []RosterResponder `yaml:"responders"`
	Teams      []RosterTeam      `yaml:"teams"`
}

// RosterResponder is one person.
type RosterResponder struct {
	Name     string `yaml:"name"`
	Team     string `yaml:"team"`
	Timezone string `yaml:"timezone"`
}

// RosterTeam is one team; Hours overrides Config.Hours for its responders.
type RosterTeam struct {
	Name     string `yaml:"name"`
	Timezone string `yaml:"timezone"`
	Hours    *Hours `yaml:"hours,omitempty"`
}
