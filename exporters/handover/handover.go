// Package handover builds the weekly on-call handover digest (issue 21,
// docs/reports.md "Handover digest"): per team, the shift that ended (its
// incidents, pages, sleep interruptions, the incidents still open and
// handed over, the alerts to tune) and who is on call now and next where
// shift events say so. Like the fatigue report it computes nothing: the
// figures come from an analytics.Snapshot and analytics' open-incident and
// on-call lists; the alerts to tune and their advice are the fatigue
// report's (exporters/report).
package handover

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/store"
)

// Options select what a digest covers.
type Options struct {
	// Config carries Now (the handover instant), the roster and the
	// thresholds; its Windows are replaced by Window.
	Config analytics.Config
	// Window is the shift that ended at Now, usually 7d.
	Window analytics.Window
	// Team limits the digest to one team; "" covers every team.
	Team string
}

// Digest is the handover digest. Its JSON encoding is its machine format:
// field names are fixed, fields may be added.
type Digest struct {
	Now        time.Time `json:"now"`
	From       time.Time `json:"from"` // the shift is (From, Now]
	Window     string    `json:"window"`
	TeamFilter string    `json:"team_filter,omitempty"`
	Teams      []Team    `json:"teams"`
}

// Team is one team's handover.
type Team struct {
	Team string `json:"team"` // "" when neither events nor roster name one
	// Incidents triggered in the shift (all services and severities).
	Incidents int64 `json:"incidents"`
	// Pages is the shift's interruptions: pages to a person on an
	// interrupting channel, repeats within the fold counted once, as the
	// fatigue report counts them. SleepInterruptions is the part in the
	// responder's sleep hours, NightsInterrupted the responder-nights.
	Pages              int64 `json:"pages"`
	SleepInterruptions int64 `json:"sleep_interruptions"`
	NightsInterrupted  int64 `json:"nights_interrupted"`
	// OpenIncidents are open at Now, whenever triggered: handed over.
	OpenIncidents []analytics.OpenIncident `json:"open_incidents"`
	// AlertsToTune are the team's noisiest alerts of the shift with the
	// fatigue report's advice (at most analytics' noisiest_alerts).
	AlertsToTune []report.Alert `json:"alerts_to_tune"`
	// OnCall is who is on call at Now and who starts next, per schedule,
	// from shift events; empty when the store has none for the team.
	OnCall []analytics.OnCallShift `json:"oncall"`
}

// Build computes the digest for o from st.
func Build(ctx context.Context, st *store.Store, o Options) (*Digest, error) {
	cfg := o.Config
	cfg.Windows = []analytics.Window{o.Window}
	// The report takes the top N per team from the global ranking: it
	// needs all of it (as report.Build does).
	full := cfg
	full.NoisiestAlerts = math.MaxInt32
	snap, err := analytics.Compute(ctx, st, full)
	if err != nil {
		return nil, fmt.Errorf("handover: %w", err)
	}
	open, err := analytics.OpenIncidents(ctx, st.DB(), cfg.Now, o.Team)
	if err != nil {
		return nil, fmt.Errorf("handover: %w", err)
	}
	oncall, err := analytics.OnCallAt(ctx, st.DB(), cfg, o.Team)
	if err != nil {
		return nil, fmt.Errorf("handover: %w", err)
	}
	return New(snap, open, oncall, o), nil
}

// New assembles the digest from a snapshot covering o.Window (computed
// with a large NoisiestAlerts, as Build does) and the two lists.
func New(snap *analytics.Snapshot, open []analytics.OpenIncident, oncall []analytics.OnCallShift, o Options) *Digest {
	w := o.Window.Name
	d := &Digest{Now: snap.Now.UTC(), From: snap.Now.UTC().Add(-o.Window.Duration), Window: w, TeamFilter: o.Team, Teams: []Team{}}
	want := func(t string) bool { return o.Team == "" || t == o.Team }
	teams := map[string]*Team{}
	get := func(name string) *Team {
		if t, ok := teams[name]; ok {
			return t
		}
		t := &Team{Team: name, OpenIncidents: []analytics.OpenIncident{}, AlertsToTune: []report.Alert{}, OnCall: []analytics.OnCallShift{}}
		teams[name] = t
		return t
	}
	for _, r := range snap.Incidents {
		if r.Window == w && want(r.Team) {
			get(r.Team).Incidents += r.Count
		}
	}
	for _, tl := range snap.Teams {
		if tl.Window == w && want(tl.Team) {
			t := get(tl.Team)
			t.Pages, t.SleepInterruptions, t.NightsInterrupted = tl.Interruptions, tl.InterruptionsByPeriod.Sleep, tl.NightsInterrupted
		}
	}
	for _, oi := range open {
		if want(oi.Team) {
			t := get(oi.Team)
			t.OpenIncidents = append(t.OpenIncidents, oi)
		}
	}
	for _, s := range oncall {
		if want(s.Team) {
			t := get(s.Team)
			t.OnCall = append(t.OnCall, s)
		}
	}
	rep := report.New(snap, nil, report.Options{Config: o.Config, Window: o.Window, Team: o.Team})
	for _, rt := range rep.Teams {
		if len(rt.Noisiest) > 0 {
			get(rt.Team).AlertsToTune = rt.Noisiest
		}
	}
	names := make([]string, 0, len(teams))
	for n := range teams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d.Teams = append(d.Teams, *teams[n])
	}
	return d
}
