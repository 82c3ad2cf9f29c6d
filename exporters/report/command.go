package report

import (
	"fmt"
	"sort"

	"github.com/pagerlens/pagerlens/analytics"
)

// The report's section on people as single points of failure (issue 12):
// the services that depend on one person and the schedules with coverage
// gaps. Like the rest of the report it computes nothing: it selects the
// flagged rows of analytics' services and schedules sections and words them.

// Dependencies is the section. Lists are never null in JSON.
type Dependencies struct {
	OnePersonServices []OnePersonService `json:"one_person_services"`
	CoverageGaps      []CoverageGap      `json:"coverage_gaps"`
	Findings          []string           `json:"findings"`
}

// OnePersonService is a service flagged by analytics: its most frequent
// responder acknowledged more than 80% of its acknowledged incidents, with
// at least 5 of them.
type OnePersonService struct {
	Team         string  `json:"team"`
	Service      string  `json:"service"`
	Responder    string  `json:"responder"`
	Share        float64 `json:"share"`
	Acknowledged int64   `json:"acknowledged"`
	Incidents    int64   `json:"incidents"`
}

// CoverageGap is a schedule that had nobody on call for part of the window.
type CoverageGap struct {
	Team              string  `json:"team"`
	Schedule          string  `json:"schedule"`
	UncoveredSeconds  float64 `json:"uncovered_seconds"`
	Gaps              int64   `json:"gaps"`
	LongestGapSeconds float64 `json:"longest_gap_seconds"`
}

// NewDependencies selects, from snap, the window's flagged services and the
// schedules with any uncovered time, of team ("" for every team). Services
// come most concentrated first, schedules longest uncovered first, so the
// reader meets the largest risk first.
func NewDependencies(snap *analytics.Snapshot, window, team string) Dependencies {
	d := Dependencies{OnePersonServices: []OnePersonService{}, CoverageGaps: []CoverageGap{}, Findings: []string{}}
	want := func(t string) bool { return team == "" || t == team }
	for _, s := range snap.Services {
		if s.Window != window || !want(s.Team) || !s.Flagged || s.TopResponderShare == nil {
			continue
		}
		d.OnePersonServices = append(d.OnePersonServices, OnePersonService{
			Team: s.Team, Service: s.Service, Responder: s.TopResponder, Share: *s.TopResponderShare,
			Acknowledged: s.Acknowledged, Incidents: s.Incidents,
		})
	}
	for _, s := range snap.Schedules {
		if s.Window != window || !want(s.Team) || s.UncoveredSeconds <= 0 {
			continue
		}
		d.CoverageGaps = append(d.CoverageGaps, CoverageGap{
			Team: s.Team, Schedule: s.Schedule, UncoveredSeconds: s.UncoveredSeconds,
			Gaps: s.Gaps, LongestGapSeconds: s.LongestGapSeconds,
		})
	}
	sort.SliceStable(d.OnePersonServices, func(i, j int) bool {
		a, b := d.OnePersonServices[i], d.OnePersonServices[j]
		if a.Share != b.Share {
			return a.Share > b.Share
		}
		if a.Acknowledged != b.Acknowledged {
			return a.Acknowledged > b.Acknowledged
		}
		return a.Team+"\x00"+a.Service < b.Team+"\x00"+b.Service
	})
	sort.SliceStable(d.CoverageGaps, func(i, j int) bool {
		a, b := d.CoverageGaps[i], d.CoverageGaps[j]
		if a.UncoveredSeconds != b.UncoveredSeconds {
			return a.UncoveredSeconds > b.UncoveredSeconds
		}
		return a.Team+"\x00"+a.Schedule < b.Team+"\x00"+b.Schedule
	})
	for _, s := range d.OnePersonServices {
		d.Findings = append(d.Findings, fmt.Sprintf("%s depends on %s: %s of its %d acknowledged incidents. Pair someone else on its next incidents and write down what only %s knows.",
			depName(s.Team, s.Service), s.Responder, pct(s.Share), s.Acknowledged, s.Responder))
	}
	for _, g := range d.CoverageGaps {
		d.Findings = append(d.Findings, fmt.Sprintf("Schedule %s had nobody on call for %s in %d gap(s), the longest %s.",
			depName(g.Team, depNone(g.Schedule)), hours(g.UncoveredSeconds), g.Gaps, hours(g.LongestGapSeconds)))
	}
	return d
}

// depName is "team/name", or the name alone when the team is unknown.
func depName(team, name string) string {
	if team == "" {
		return depNone(name)
	}
	return team + "/" + depNone(name)
}

func depNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
