// Package report builds the pager-fatigue report (docs/reports.md): per team
// and responder, how often people were interrupted, when, how evenly, and
// which alerts cause the noise, with a plain recommendation for each.
//
// The report computes no metric of its own: every figure comes from an
// analytics.Snapshot and analytics.InterruptionHeatmap. It only selects,
// groups, sums per team (the heat map and trend are per responder in
// analytics) and words them. Its JSON encoding is the Report struct; the
// Markdown and HTML renderings are views of the same struct.
package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/internal/thresholds"
	"github.com/pagerlens/pagerlens/store"
)

// Options select what a report covers.
type Options struct {
	// Config carries Now, the roster and every threshold; its Windows are
	// replaced by Window.
	Config analytics.Config
	// Window is the one window the report covers, ending at Config.Now.
	Window analytics.Window
	// Team limits the report to one team; "" reports every team.
	Team string
}

// Report is the pager-fatigue report. Its JSON encoding is the report's
// machine format: field names are fixed, fields may be added.
type Report struct {
	Now    time.Time `json:"now"`
	From   time.Time `json:"from"` // Now − window: the window is (From, Now]
	Window string    `json:"window"`
	// TeamFilter is the --team the report was limited to, if any.
	TeamFilter string `json:"team_filter,omitempty"`
	// Overview leads the report: one line per team and the totals, so
	// that a reader sees which team needs attention before the details.
	Overview Overview `json:"overview"`
	Settings Settings `json:"settings"`
	Teams    []Team   `json:"teams"`
	// Dependencies names the services that depend on one person and the
	// schedules with coverage gaps (command.go). It is report-wide rather
	// than per team: a lead reading one team's part should still see it
	// once, and it is limited to TeamFilter like the rest.
	Dependencies Dependencies `json:"dependencies"`
}

// Settings are the thresholds the figures and the recommendations used, so
// that a reader of the report can tell what "over the limit" meant.
type Settings struct {
	FatigueWeights Weights `json:"fatigue_weights"`
	// FatigueLimit is analytics.FatigueLimit: the score of Google SRE's
	// limit held for a week. A score reads "high" from it and "elevated"
	// from half of it (analytics.FatigueLevel).
	FatigueLimit          float64 `json:"fatigue_limit"`
	ShiftIncidentLimit    int     `json:"shift_incident_limit"`
	OnCallShareFlag       float64 `json:"oncall_share_flag"`
	TransientAfterSeconds float64 `json:"transient_after_seconds"`
	FlapCount             int     `json:"flap_count"`
	FlapWithinSeconds     float64 `json:"flap_within_seconds"`
	NoisiestAlerts        int     `json:"noisiest_alerts"`
	BusinessHours         string  `json:"business_hours"` // "08-18"
	SleepHours            string  `json:"sleep_hours"`    // "22-08"
	// What an interruption is: a page on one of these channels
	// (analytics' names: "unknown" is a page without a channel), pages to
	// one person for one incident at most InterruptionFoldSeconds apart
	// counted once.
	InterruptionChannels    []string `json:"interruption_channels"`
	InterruptionFoldSeconds float64  `json:"interruption_fold_seconds"`
}

// Weights are the fatigue score weights per period.
type Weights struct {
	Business float64 `json:"business"`
	OffHours float64 `json:"off_hours"`
	Sleep    float64 `json:"sleep"`
}

// Team is one team's part of the report.
type Team struct {
	Team       string      `json:"team"` // "" when neither events nor roster name one
	Summary    TeamSummary `json:"summary"`
	Findings   []string    `json:"findings"`
	Responders []Responder `json:"responders"`
	Heatmap    Heatmap     `json:"heatmap"`
	Trend      []Week      `json:"trend"`
	Noisiest   []Alert     `json:"noisiest_alerts"`
}

// TeamSummary is analytics.TeamLoad for the report's window. Being sums
// over the team's responders, NightsInterrupted counts responder-nights
// (two people woken the same night count 2) and EngagedSeconds is
// responder-time (each responder's overlapping engagements merged, then
// summed), which can exceed the window. ShiftsOverLimit counts 12-hour
// blocks of on-call time, not whole shifts.
type TeamSummary struct {
	Interruptions              analytics.Interruptions `json:"interruptions"`
	InterruptionsTotal         int64                   `json:"interruptions_total"`
	InterruptionsOutsideShifts analytics.Interruptions `json:"interruptions_outside_shifts"`
	Responders                 int64                   `json:"responders"`
	// RespondersPagedOutsideShifts: see analytics.TeamLoad.
	RespondersPagedOutsideShifts int64    `json:"-"`
	NightsInterrupted            int64    `json:"nights_interrupted"`
	IncidentsAcknowledged        int64    `json:"incidents_acknowledged"`
	EngagedSeconds               float64  `json:"engaged_seconds"`
	OnCallSeconds                float64  `json:"oncall_seconds"`
	ShiftsOverLimit              int64    `json:"shifts_over_limit"`
	FatigueScore                 float64  `json:"fatigue_score"`
	FatigueLevel                 string   `json:"fatigue_level"`
	Gini                         float64  `json:"gini"`
	MaxOverMedian                *float64 `json:"max_over_median"`
}

// Responder is one responder's row, from analytics.ResponderLoad.
type Responder struct {
	Responder          string                  `json:"responder"`
	Timezone           string                  `json:"timezone"`
	Interruptions      analytics.Interruptions `json:"interruptions"`
	InterruptionsTotal int64                   `json:"interruptions_total"`
	// InterruptionsOutsideShifts fell in none of the responder's shifts.
	InterruptionsOutsideShifts analytics.Interruptions `json:"interruptions_outside_shifts"`
	NightsInterrupted          int64                   `json:"nights_interrupted"`
	FatigueScore               float64                 `json:"fatigue_score"`
	FatigueLevel               string                  `json:"fatigue_level"`
	OnCallShare                float64                 `json:"oncall_share"`
	OnCallShareFlagged         bool                    `json:"oncall_share_flagged"`
	OnCallSeconds              float64                 `json:"oncall_seconds"`
	EngagedSeconds             float64                 `json:"engaged_seconds"`
	IncidentsAcknowledged      int64                   `json:"incidents_acknowledged"`
	ShiftsOverLimit            int64                   `json:"shifts_over_limit"`
	InterruptionsPer12h        *float64                `json:"interruptions_per_12h"`
}

// Heatmap is a team's interruptions by local weekday and hour: Counts[d][h]
// with d = 0 Monday … 6 Sunday and h = 0 … 23, each page placed in its
// responder's time zone.
type Heatmap struct {
	Counts [7][24]int64 `json:"counts"`
	Max    int64        `json:"max"`
}

// Week is one point of a team's week-by-week trend: the interruptions in
// the local ISO week starting on Start (a Monday). Weeks without any are
// included as zeros so the trend has no gaps. The window rarely starts and
// ends on a Monday, so its first and last weeks are usually cut short:
// Partial marks them, lest their smaller counts read as a drop in load.
type Week struct {
	Start         string                  `json:"start"` // 2006-01-02
	Interruptions analytics.Interruptions `json:"interruptions"`
	Total         int64                   `json:"total"`
	// DaysInWindow is how much of the week (Monday 00:00 UTC + 7 days) lies
	// in the window, in days (0..7); Partial is DaysInWindow < 7.
	DaysInWindow float64 `json:"days_in_window"`
	Partial      bool    `json:"partial"`
}

// Alert is one of a team's noisiest alerts with the figures behind its
// recommendation.
type Alert struct {
	Service      string  `json:"service"`
	AlertName    string  `json:"alertname"`
	Alerts       int64   `json:"alerts"`
	Actionable   int64   `json:"actionable"`
	Acknowledged int64   `json:"acknowledged"`
	Transient    int64   `json:"transient"`
	AutoResolved int64   `json:"auto_resolved"`
	OffHours     int64   `json:"off_hours"`
	SleepHours   int64   `json:"sleep_hours"`
	FlappingKeys int64   `json:"flapping_keys"`
	Score        float64 `json:"score"` // alerts − actionable, as analytics ranks them
	// Rule is the ID of the recommendation rule that matched (rules.go).
	Rule           string `json:"rule"`
	Recommendation string `json:"recommendation"`
}

// allNoisy is the NoisiestAlerts N used for the snapshot: the report takes
// the top N per team from analytics' global ranking, so it needs all of it.
const allNoisy = math.MaxInt32

// Build computes the snapshot and heat map for o from st and assembles the
// report.
func Build(ctx context.Context, st *store.Store, o Options) (*Report, error) {
	cfg := o.Config
	cfg.Windows = []analytics.Window{o.Window}
	cfg.NoisiestAlerts = allNoisy
	snap, err := analytics.Compute(ctx, st, cfg)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	hm, err := analytics.InterruptionHeatmap(ctx, st.DB(), cfg, o.Window, o.Team)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return New(snap, hm, o), nil
}

// New assembles the report from a snapshot that covers o.Window and the
// heat map of that window. The snapshot's NoisiestAlerts should be computed
// with a large N (Build does): the report keeps o.Config.NoisiestAlerts per
// team.
func New(snap *analytics.Snapshot, hm *analytics.Heatmap, o Options) *Report {
	c := o.Config
	w := o.Window.Name
	r := &Report{
		Now:        snap.Now.UTC(),
		From:       snap.Now.UTC().Add(-o.Window.Duration),
		Window:     w,
		TeamFilter: o.Team,
		Settings: Settings{
			FatigueWeights:          Weights{c.FatigueWeights.Business, c.FatigueWeights.OffHours, c.FatigueWeights.Sleep},
			FatigueLimit:            analytics.FatigueLimit(c),
			ShiftIncidentLimit:      c.ShiftIncidentLimit,
			OnCallShareFlag:         c.OnCallShareFlag,
			TransientAfterSeconds:   c.TransientAfter.Seconds(),
			FlapCount:               c.FlapCount,
			FlapWithinSeconds:       c.FlapWithin.Seconds(),
			NoisiestAlerts:          c.NoisiestAlerts,
			BusinessHours:           fmt.Sprintf("%02d-%02d", c.Hours.BusinessStart, c.Hours.BusinessEnd),
			SleepHours:              fmt.Sprintf("%02d-%02d", c.Hours.SleepStart, c.Hours.SleepEnd),
			InterruptionChannels:    interruptionChannels(c),
			InterruptionFoldSeconds: c.InterruptionFold.Seconds(),
		},
		Teams:        []Team{},
		Dependencies: NewDependencies(snap, w, o.Team),
	}
	want := func(team string) bool { return o.Team == "" || team == o.Team }

	teams := map[string]*Team{}
	var order []string
	get := func(name string) *Team {
		if t, ok := teams[name]; ok {
			return t
		}
		t := &Team{Team: name, Findings: []string{}, Responders: []Responder{}, Trend: []Week{}, Noisiest: []Alert{}}
		teams[name] = t
		order = append(order, name)
		return t
	}

	for _, tl := range snap.Teams {
		if tl.Window != w || !want(tl.Team) {
			continue
		}
		get(tl.Team).Summary = TeamSummary{
			Interruptions: tl.InterruptionsByPeriod, InterruptionsTotal: tl.Interruptions,
			InterruptionsOutsideShifts: tl.InterruptionsOutsideShifts,
			Responders:                 tl.Responders, NightsInterrupted: tl.NightsInterrupted,
			RespondersPagedOutsideShifts: tl.RespondersPagedOutsideShifts,
			IncidentsAcknowledged:        tl.IncidentsAcknowledged, EngagedSeconds: tl.EngagedSeconds,
			OnCallSeconds: tl.OnCallSeconds, ShiftsOverLimit: tl.ShiftsOverLimit,
			FatigueScore: tl.FatigueScore, FatigueLevel: analytics.FatigueLevel(tl.FatigueScore, r.Settings.FatigueLimit),
			Gini: tl.Gini, MaxOverMedian: tl.MaxOverMedian,
		}
	}
	for _, rl := range snap.Responders {
		if rl.Window != w || !want(rl.Team) {
			continue
		}
		t := get(rl.Team)
		t.Responders = append(t.Responders, Responder{
			Responder: rl.Responder, Timezone: rl.Timezone,
			Interruptions: rl.Interruptions, InterruptionsTotal: rl.InterruptionsTotal,
			InterruptionsOutsideShifts: rl.InterruptionsOutsideShifts,
			NightsInterrupted:          rl.NightsInterrupted, FatigueScore: rl.FatigueScore,
			FatigueLevel: analytics.FatigueLevel(rl.FatigueScore, r.Settings.FatigueLimit),
			OnCallShare:  rl.OnCallShare, OnCallShareFlagged: rl.OnCallShareFlagged,
			OnCallSeconds: rl.OnCallSeconds, EngagedSeconds: rl.EngagedSeconds,
			IncidentsAcknowledged: rl.IncidentsAcknowledged, ShiftsOverLimit: rl.ShiftsOverLimit,
			InterruptionsPer12h: rl.InterruptionsPer12h,
		})
	}

	// The noisiest alerts: analytics' ranking, top N per team, joined to
	// the alert rows for the figures the rules read.
	type akey struct{ team, service, name string }
	stats := map[akey]analytics.AlertStats{}
	for _, a := range snap.Alerts {
		if a.Window == w {
			stats[akey{a.Team, a.Service, a.AlertName}] = a
		}
	}
	for _, n := range snap.NoisiestAlerts {
		if n.Window != w || !want(n.Team) {
			continue
		}
		t := get(n.Team)
		if len(t.Noisiest) >= c.NoisiestAlerts {
			continue
		}
		s := stats[akey{n.Team, n.Service, n.AlertName}]
		a := Alert{
			Service: n.Service, AlertName: n.AlertName, Alerts: n.Alerts, Actionable: n.Actionable,
			Acknowledged: s.Acknowledged, Transient: s.Transient, AutoResolved: s.AutoResolved,
			OffHours: s.OffHours, SleepHours: s.SleepHours, FlappingKeys: s.FlappingKeys, Score: n.Score,
		}
		a.Rule, a.Recommendation = Recommend(a, r.Settings)
		t.Noisiest = append(t.Noisiest, a)
	}

	if hm != nil {
		for _, cell := range hm.Cells {
			if !want(cell.Team) || cell.Weekday < 1 || cell.Weekday > 7 || cell.Hour < 0 || cell.Hour > 23 {
				continue
			}
			h := &get(cell.Team).Heatmap
			h.Counts[cell.Weekday-1][cell.Hour] += cell.Interruptions
		}
		weeks := map[string]map[string]analytics.Interruptions{}
		for _, wl := range hm.Weeks {
			if !want(wl.Team) {
				continue
			}
			get(wl.Team)
			if weeks[wl.Team] == nil {
				weeks[wl.Team] = map[string]analytics.Interruptions{}
			}
			k := wl.Week.Format(time.DateOnly)
			v := weeks[wl.Team][k]
			v.Add(wl.Interruptions)
			weeks[wl.Team][k] = v
		}
		for name, t := range teams {
			t.Trend = trend(r.From, r.Now, weeks[name])
		}
	}

	sort.Strings(order)
	for _, name := range order {
		t := teams[name]
		for d := range t.Heatmap.Counts {
			for _, n := range t.Heatmap.Counts[d] {
				t.Heatmap.Max = max(t.Heatmap.Max, n)
			}
		}
		// Most fatigued first: the report is read to find who needs relief.
		sort.SliceStable(t.Responders, func(i, j int) bool {
			a, b := t.Responders[i], t.Responders[j]
			if a.FatigueScore != b.FatigueScore {
				return a.FatigueScore > b.FatigueScore
			}
			return a.Responder < b.Responder
		})
		t.Findings = findings(t, r.Settings)
		r.Teams = append(r.Teams, *t)
	}
	r.Overview = overview(r.Teams, c, o.Window)
	return r
}

// trend lays the weekly sums on consecutive Mondays from the week of from to
// the week of now (widened to any week the data names: a responder east of
// UTC can start the window on the previous local date).
func trend(from, now time.Time, byWeek map[string]analytics.Interruptions) []Week {
	// The window is (from, now]: a week that would start exactly at now
	// holds at most that instant, so it is shown only if the data has it.
	first, last := monday(from), monday(now.Add(-time.Nanosecond))
	for k := range byWeek {
		if d, err := time.Parse(time.DateOnly, k); err == nil {
			if d.Before(first) {
				first = d
			}
			if d.After(last) {
				last = d
			}
		}
	}
	out := []Week{}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 7) {
		k := d.Format(time.DateOnly)
		v := byWeek[k]
		// The part of [Monday, next Monday) inside (from, now], in days.
		in := max(0, minTime(d.AddDate(0, 0, 7), now).Sub(maxTime(d, from)))
		days := math.Round(in.Hours()/24*100) / 100
		out = append(out, Week{Start: k, Interruptions: v, Total: v.Total(), DaysInWindow: days, Partial: days < 7})
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// monday is the UTC midnight of the Monday on or before t's UTC date.
func monday(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(d.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return d.AddDate(0, 0, -back)
}

// findings words what a lead should look at first in a team, in a fixed
// order: on-call share over the flag, twelve-hour blocks over the limit,
// high fatigue, uneven load.
func findings(t *Team, s Settings) []string {
	out := []string{}
	for _, r := range t.Responders {
		if r.OnCallShareFlagged {
			out = append(out, fmt.Sprintf("%s was on call %s of the window (flag: over %s).", r.Responder, pct(r.OnCallShare), pct(s.OnCallShareFlag)))
		}
	}
	for _, r := range t.Responders {
		if r.ShiftsOverLimit > 0 {
			out = append(out, fmt.Sprintf("%s had more than %d incidents in %s of on-call time (Google SRE's limit is %d per 12-hour shift).",
				r.Responder, s.ShiftIncidentLimit, blocks(r.ShiftsOverLimit), s.ShiftIncidentLimit))
		}
	}
	var high []string
	for _, r := range t.Responders {
		if r.FatigueLevel == analytics.FatigueHigh {
			high = append(high, fmt.Sprintf("%s (%.1f)", r.Responder, r.FatigueScore))
		}
	}
	if len(high) > 0 {
		out = append(out, fmt.Sprintf("Fatigue is high (%s and more, Google SRE's limit held for a week) for %s.",
			strconv.FormatFloat(s.FatigueLimit, 'f', -1, 64), strings.Join(high, ", ")))
	}
	if t.Summary.Gini >= unevenGini && t.Summary.Responders >= 2 {
		msg := fmt.Sprintf("Load is uneven: Gini %.2f", t.Summary.Gini)
		if m := t.Summary.MaxOverMedian; m != nil {
			msg += fmt.Sprintf("; the busiest responder took %.1f× the median", *m)
		}
		out = append(out, msg+".")
	}
	return out
}

// blocks words n twelve-hour blocks: a finding counts blocks, not shifts,
// because a week-long shift has 14 of them.
func blocks(n int64) string {
	if n == 1 {
		return "1 twelve-hour block"
	}
	return fmt.Sprintf("%d twelve-hour blocks", n)
}

// unevenGini is where the report calls a team's load uneven; the
// dashboards colour the team from the same value.
const unevenGini = thresholds.GiniUneven

// pct formats a 0–1 share as a whole percentage.
func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// interruptionChannels is c's list, or analytics' default for none.
func interruptionChannels(c analytics.Config) []string {
	if len(c.InterruptionChannels) == 0 {
		return slices.Clone(analytics.DefaultInterruptionChannels)
	}
	return slices.Clone(c.InterruptionChannels)
}
