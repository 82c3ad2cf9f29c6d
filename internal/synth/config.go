// Package synth generates realistic, seeded, deterministic streams of
// canonical events: teams with services and weekly on-call rotations, alert
// rules of varied quality, incidents with long-tailed severity-dependent ack
// and resolve times, pages, and incident-command events. The demo, the tests
// and the benchmarks all feed on it, so it streams (nothing proportional to
// the stream length is held in memory) and it is fast.
package synth

import (
	"errors"
	"fmt"
	"time"
)

// DefaultEnd is the end of the stream when Config.End is not set. It is a
// fixed instant, never time.Now, so that a seed alone pins the stream.
var DefaultEnd = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)

// Config describes the world to simulate and how its events are delivered.
// The zero value of a field means its default (see WithDefaults); a zero Rates
// or a nil Severities means the defaults as a whole, so start from
// DefaultRates or DefaultSeverities to change one value and keep the others.
type Config struct {
	// Seed pins the stream: the same Config gives a byte-identical stream.
	Seed int64
	// The stream covers [Start, End). End defaults to DefaultEnd (or to
	// Start+Days when only Start is set), Start to End−Days. Times are
	// truncated to the second: every event time is a whole second.
	Start, End time.Time
	Days       int // default 30; ignored when both Start and End are set

	Teams             int // default 4
	ServicesPerTeam   int // default 4
	RespondersPerTeam int // default 6 (a rotation needs at least 2: the secondary is the next in line)
	// RulesPerService is the number of noise-producing alert rules per
	// service (on top of the rules that fire with incidents). Default 5.
	RulesPerService int

	// IncidentsPerServiceDay is the mean incident rate per service; the
	// diurnal and weekly pattern modulates it around this mean. Default 0.4.
	IncidentsPerServiceDay float64

	// Severities are the incident severities, highest first, with their
	// share of incidents and their ack and resolve distributions.
	Severities []SeverityProfile
	// MajorSeverities is how many of the highest severities count as major
	// (commander, status updates, retrospectives). Default 2.
	MajorSeverities int

	Rates Rates

	// Source is the CloudEvents source of every event. Default "synth".
	Source string

	// Duplicates is the share of events delivered twice with the same id
	// (at-least-once delivery). Default 0.
	Duplicates float64
	// Disorder is the share of events delivered late, each by 1 to
	// DisorderWindow positions of the stream. Default 0 (time order).
	Disorder       float64
	DisorderWindow int // default 64
}

// SeverityProfile configures one incident severity. Durations are lognormal:
// median × e^(σ·N(0,1)), the long tail real MTTA and MTTR samples show.
type SeverityProfile struct {
	Name   string  // "SEV1"
	Weight float64 // relative share of incidents
	// Urgency is "high" or "low"; it is carried on the incident's events.
	Urgency string

	AckMedian     time.Duration
	AckSigma      float64
	ResolveMedian time.Duration // trigger → resolve
	ResolveSigma  float64

	// EscalateAfter: an incident not acknowledged by then is escalated to
	// the secondary, who is paged. Escalations thus follow from slow acks.
	EscalateAfter time.Duration
	// AutoResolve is the share of incidents resolved by the system before
	// anyone acknowledges them.
	AutoResolve float64
	// Mitigate is the share of acknowledged incidents with an explicit
	// incident.mitigated before the resolve.
	Mitigate float64
}

// DefaultSeverities returns the default SEV1..SEV4 profiles: rare, fast,
// short SEV1s; many slow, long, low-urgency SEV4s.
func DefaultSeverities() []SeverityProfile {
	return []SeverityProfile{
		{Name: "SEV1", Weight: 0.04, Urgency: "high", AckMedian: 2 * time.Minute, AckSigma: 0.8,
			ResolveMedian: 90 * time.Minute, ResolveSigma: 0.9, EscalateAfter: 5 * time.Minute, AutoResolve: 0, Mitigate: 1},
		{Name: "SEV2", Weight: 0.12, Urgency: "high", AckMedian: 4 * time.Minute, AckSigma: 0.9,
			ResolveMedian: 3 * time.Hour, ResolveSigma: 1.0, EscalateAfter: 10 * time.Minute, AutoResolve: 0.01, Mitigate: 0.9},
		{Name: "SEV3", Weight: 0.34, Urgency: "low", AckMedian: 12 * time.Minute, AckSigma: 1.0,
			ResolveMedian: 8 * time.Hour, ResolveSigma: 1.1, EscalateAfter: 45 * time.Minute, AutoResolve: 0.05, Mitigate: 0.5},
		{Name: "SEV4", Weight: 0.50, Urgency: "low", AckMedian: 30 * time.Minute, AckSigma: 1.1,
			ResolveMedian: 24 * time.Hour, ResolveSigma: 1.2, EscalateAfter: 2 * time.Hour, AutoResolve: 0.15, Mitigate: 0.2},
	}
}

// Rates are the probabilities and typical delays of everything around the
// incidents' core timeline. All probabilities are in [0, 1].
type Rates struct {
	DetectedByHuman    float64 // incidents declared by a human (no alert)
	DetectedByCustomer float64 // incidents reported by a customer (no alert)
	// StartedAtKnown is the share of alert-detected incidents whose trigger
	// carries started_at (human- and customer-detected ones always do).
	StartedAtKnown float64
	Reopen         float64 // resolved, reopened, resolved again
	Reassign       float64
	SeverityChange float64
	// RepeatPage is the share of pages followed by a second notification
	// (push, then phone) within 2 minutes.
	RepeatPage float64
	// AlertOutlivesIncident is the share of incident alerts that resolve
	// after their incident (alert reset time).
	AlertOutlivesIncident float64

	// CoverageGap is the share of weekly handoffs after which nobody is on
	// call for 1 to 8 hours.
	CoverageGap float64

	// Incident command, for major incidents.
	Commander        float64       // share with a commander assigned
	CommanderMedian  time.Duration // trigger → commander
	UpdateMedian     time.Duration // typical gap between status updates
	LongSilence      float64       // share of major incidents with one long silence (~4× the usual gap)
	Retrospective    float64       // share with a retrospective completed
	RetroMedian      time.Duration // resolve → retrospective
	ActionItemsMax   int           // each retrospective creates 1..ActionItemsMax action items
	ActionCompleted  float64       // share of action items ever completed
	ActionDoneMedian time.Duration // created → completed

	// Alert noise: the share of noise rules in each class (the rest are
	// quiet, actionable rules) and each class's firing rate.
	FlappingTeams       float64 // share of teams with one flapping rule
	FlapEpisodesPerDay  float64 // per flapping rule: episodes of 3–7 fires within an hour
	Noisy               float64 // share of noise rules that are noisy (long, unacknowledged)
	NoisyPerDay         float64
	Transient           float64 // share of noise rules that blip (system-resolved within minutes)
	TransientPerDay     float64
	QuietPerDay         float64 // rate of the quiet, actionable rules
	QuietAcknowledged   float64 // share of quiet-rule alerts a human acknowledges
	TransientLongerThan float64 // share of blips that last past 5 minutes (still system-resolved)
}

// DefaultRates returns the default Rates.
func DefaultRates() Rates {
	return Rates{
		DetectedByHuman:       0.10,
		DetectedByCustomer:    0.05,
		StartedAtKnown:        0.4,
		Reopen:                0.03,
		Reassign:              0.06,
		SeverityChange:        0.05,
		RepeatPage:            0.35,
		AlertOutlivesIncident: 0.12,
		CoverageGap:           0.08,

		Commander:        0.85,
		CommanderMedian:  7 * time.Minute,
		UpdateMedian:     20 * time.Minute,
		LongSilence:      0.2,
		Retrospective:    0.8,
		RetroMedian:      72 * time.Hour,
		ActionItemsMax:   4,
		ActionCompleted:  0.6,
		ActionDoneMedian: 12 * 24 * time.Hour,

		FlappingTeams:       0.6,
		FlapEpisodesPerDay:  1,
		Noisy:               0.15,
		NoisyPerDay:         2,
		Transient:           0.3,
		TransientPerDay:     0.6,
		QuietPerDay:         0.1,
		QuietAcknowledged:   0.8,
		TransientLongerThan: 0.05,
	}
}

// DefaultConfig returns the defaults with the given seed: 30 days ending at
// DefaultEnd, 4 teams of 4 services and 6 responders.
func DefaultConfig(seed int64) Config {
	return Config{Seed: seed}.WithDefaults()
}

// WithDefaults fills every unset field with its default and resolves Start
// and End. It does not validate; Generate does.
func (c Config) WithDefaults() Config {
	if c.Days == 0 {
		c.Days = 30
	}
	span := time.Duration(c.Days) * 24 * time.Hour
	switch {
	case c.End.IsZero() && c.Start.IsZero():
		c.End = DefaultEnd
		c.Start = c.End.Add(-span)
	case c.End.IsZero():
		c.End = c.Start.Add(span)
	case c.Start.IsZero():
		c.Start = c.End.Add(-span)
	}
	c.Start = c.Start.UTC().Truncate(time.Second)
	c.End = c.End.UTC().Truncate(time.Second)
	if c.Teams == 0 {
		c.Teams = 4
	}
	if c.ServicesPerTeam == 0 {
		c.ServicesPerTeam = 4
	}
	if c.RespondersPerTeam == 0 {
		c.RespondersPerTeam = 6
	}
	if c.RulesPerService == 0 {
		c.RulesPerService = 5
	}
	if c.IncidentsPerServiceDay == 0 {
		c.IncidentsPerServiceDay = 0.4
	}
	if c.Severities == nil {
		c.Severities = DefaultSeverities()
	}
	if c.MajorSeverities == 0 {
		c.MajorSeverities = min(2, len(c.Severities))
	}
	if c.Rates == (Rates{}) {
		c.Rates = DefaultRates()
	}
	if c.Source == "" {
		c.Source = "synth"
	}
	if c.DisorderWindow == 0 {
		c.DisorderWindow = 64
	}
	return c
}

// Validate reports the first field of c (after WithDefaults) that cannot
// produce a valid stream.
func (c Config) Validate() error {
	minT := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxT := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case !c.End.After(c.Start):
		return fmt.Errorf("end %s is not after start %s", c.End.Format(time.RFC3339), c.Start.Format(time.RFC3339))
	case c.Start.Before(minT) || c.End.After(maxT):
		// event.Validate rejects times outside these bounds.
		return errors.New("the stream must lie within 2000-01-01 .. 2100-01-01")
	case c.Days < 0:
		return fmt.Errorf("days %d: must be positive", c.Days)
	case c.Teams < 1 || c.Teams > 100000:
		return fmt.Errorf("teams %d: want 1..100000", c.Teams)
	case c.ServicesPerTeam < 1 || c.ServicesPerTeam > 1000:
		return fmt.Errorf("services per team %d: want 1..1000", c.ServicesPerTeam)
	case c.RespondersPerTeam < 2 || c.RespondersPerTeam > 1000:
		return fmt.Errorf("responders per team %d: want 2..1000", c.RespondersPerTeam)
	case c.RulesPerService < 0 || c.RulesPerService > 1000:
		return fmt.Errorf("rules per service %d: want 0..1000", c.RulesPerService)
	case c.IncidentsPerServiceDay < 0:
		return fmt.Errorf("incidents per service-day %g: must not be negative", c.IncidentsPerServiceDay)
	case len(c.Severities) == 0:
		return errors.New("no severities")
	case c.MajorSeverities < 0 || c.MajorSeverities > len(c.Severities):
		return fmt.Errorf("major severities %d: want 0..%d", c.MajorSeverities, len(c.Severities))
	case !prob(c.Duplicates) || c.Duplicates == 1:
		return fmt.Errorf("duplicates %g: want 0 <= d < 1", c.Duplicates)
	case !prob(c.Disorder):
		return fmt.Errorf("disorder %g: want 0..1", c.Disorder)
	case c.DisorderWindow < 1:
		return fmt.Errorf("disorder window %d: must be positive", c.DisorderWindow)
	}
	total := 0.0
	for _, s := range c.Severities {
		switch {
		case s.Name == "":
			return errors.New("a severity has no name")
		case s.Weight < 0:
			return fmt.Errorf("severity %s: negative weight", s.Name)
		case s.AckMedian <= 0 || s.ResolveMedian <= 0 || s.EscalateAfter <= 0:
			return fmt.Errorf("severity %s: ack and resolve medians and escalate-after must be positive", s.Name)
		case s.AckSigma < 0 || s.ResolveSigma < 0:
			return fmt.Errorf("severity %s: negative sigma", s.Name)
		case !prob(s.AutoResolve) || !prob(s.Mitigate):
			return fmt.Errorf("severity %s: auto-resolve and mitigate are probabilities", s.Name)
		}
		total += s.Weight
	}
	if total <= 0 {
		return errors.New("severity weights sum to zero")
	}
	r := c.Rates
	// A slice, not a map: the first bad rate reported must not depend on map order.
	for _, f := range []struct {
		name string
		p    float64
	}{
		{"detected by human", r.DetectedByHuman}, {"detected by customer", r.DetectedByCustomer},
		{"started_at known", r.StartedAtKnown}, {"reopen", r.Reopen}, {"reassign", r.Reassign},
		{"severity change", r.SeverityChange}, {"repeat page", r.RepeatPage},
		{"alert outlives incident", r.AlertOutlivesIncident}, {"coverage gap", r.CoverageGap},
		{"commander", r.Commander}, {"long silence", r.LongSilence}, {"retrospective", r.Retrospective},
		{"action completed", r.ActionCompleted}, {"flapping teams", r.FlappingTeams}, {"noisy", r.Noisy},
		{"transient", r.Transient}, {"quiet acknowledged", r.QuietAcknowledged},
		{"transient longer than", r.TransientLongerThan},
	} {
		if !prob(f.p) {
			return fmt.Errorf("rate %s %g: want a probability 0..1", f.name, f.p)
		}
	}
	switch {
	case r.DetectedByHuman+r.DetectedByCustomer > 1:
		return errors.New("detected by human + customer exceeds 1")
	case r.Noisy+r.Transient > 1:
		return errors.New("noisy + transient rule shares exceed 1")
	case r.FlapEpisodesPerDay < 0 || r.NoisyPerDay < 0 || r.TransientPerDay < 0 || r.QuietPerDay < 0:
		return errors.New("negative alert rate")
	case r.ActionItemsMax < 0:
		return errors.New("negative action items max")
	case r.CommanderMedian <= 0 || r.UpdateMedian <= 0 || r.RetroMedian <= 0 || r.ActionDoneMedian <= 0:
		return errors.New("command medians must be positive")
	}
	return nil
}

func prob(p float64) bool { return p >= 0 && p <= 1 }
