package report

import (
	"sort"

	"github.com/pagerlens/pagerlens/analytics"
)

// The cross-team summary that leads the report. Like the rest it computes
// no metric of its own: a team's line repeats its summary, and the totals
// are sums, with the fatigue score applied to them by analytics.FatigueScore
// (as analytics does for a team).

// Overview is one line per team, most fatigued first, and the totals.
type Overview struct {
	Teams []OverviewTeam `json:"teams"`
	Total OverviewTotal  `json:"total"`
}

// OverviewTeam is one team's line.
type OverviewTeam struct {
	Team string `json:"team"`
	OverviewFigures
	// Gini is the team's load balance; it has no meaning across teams.
	Gini float64 `json:"gini"`
}

// OverviewTotal sums the teams' lines.
type OverviewTotal struct {
	Teams int `json:"teams"`
	OverviewFigures
}

// OverviewFigures are the figures of a line. NightsInterrupted counts
// responder-nights and ShiftsOverLimit twelve-hour blocks, as in the team
// summaries.
type OverviewFigures struct {
	Responders                 int64                   `json:"responders"`
	Interruptions              analytics.Interruptions `json:"interruptions"`
	InterruptionsTotal         int64                   `json:"interruptions_total"`
	InterruptionsOutsideShifts analytics.Interruptions `json:"interruptions_outside_shifts"`
	NightsInterrupted          int64                   `json:"nights_interrupted"`
	OnCallSeconds              float64                 `json:"oncall_seconds"`
	ShiftsOverLimit            int64                   `json:"shifts_over_limit"`
	// OnCallShareFlagged counts the responders on call for more than the
	// on-call-share flag of the window.
	OnCallShareFlagged int64   `json:"oncall_share_flagged"`
	FatigueScore       float64 `json:"fatigue_score"`
	FatigueLevel       string  `json:"fatigue_level"`
	// MostFatigued is the responder with the highest score; nil with no
	// responder.
	MostFatigued *MostFatigued `json:"most_fatigued"`
}

// MostFatigued names a line's most fatigued responder.
type MostFatigued struct {
	Team         string  `json:"team"`
	Responder    string  `json:"responder"`
	FatigueScore float64 `json:"fatigue_score"`
	FatigueLevel string  `json:"fatigue_level"`
}

// overview builds the lines from the assembled teams (their responders
// are already sorted most fatigued first).
func overview(teams []Team, c analytics.Config, w analytics.Window) Overview {
	limit := analytics.FatigueLimit(c)
	o := Overview{Teams: []OverviewTeam{}, Total: OverviewTotal{Teams: len(teams)}}
	var all analytics.Interruptions
	var pagedOutside int64 // responders with pages outside every shift, summed over teams
	tot := &o.Total.OverviewFigures
	for _, t := range teams {
		s := t.Summary
		line := OverviewTeam{Team: t.Team, Gini: s.Gini, OverviewFigures: OverviewFigures{
			Responders: s.Responders, Interruptions: s.Interruptions, InterruptionsTotal: s.InterruptionsTotal,
			InterruptionsOutsideShifts: s.InterruptionsOutsideShifts,
			NightsInterrupted:          s.NightsInterrupted, OnCallSeconds: s.OnCallSeconds, ShiftsOverLimit: s.ShiftsOverLimit,
			FatigueScore: s.FatigueScore, FatigueLevel: s.FatigueLevel,
		}}
		for _, r := range t.Responders {
			if r.OnCallShareFlagged {
				line.OnCallShareFlagged++
			}
		}
		if len(t.Responders) > 0 {
			r := t.Responders[0]
			line.MostFatigued = &MostFatigued{Team: t.Team, Responder: r.Responder, FatigueScore: r.FatigueScore, FatigueLevel: r.FatigueLevel}
		}
		o.Teams = append(o.Teams, line)

		all.Add(s.Interruptions)
		tot.Responders += s.Responders
		tot.InterruptionsOutsideShifts.Add(s.InterruptionsOutsideShifts)
		tot.NightsInterrupted += s.NightsInterrupted
		tot.OnCallSeconds += s.OnCallSeconds
		pagedOutside += s.RespondersPagedOutsideShifts
		tot.ShiftsOverLimit += s.ShiftsOverLimit
		tot.OnCallShareFlagged += line.OnCallShareFlagged
		if m := line.MostFatigued; m != nil && (tot.MostFatigued == nil || m.FatigueScore > tot.MostFatigued.FatigueScore) {
			tot.MostFatigued = m
		}
	}
	tot.Interruptions = all
	tot.InterruptionsTotal = all.Total()
	tot.FatigueScore = analytics.FatigueScore(c.FatigueWeights, all, tot.InterruptionsOutsideShifts, tot.OnCallSeconds, w.Duration, pagedOutside)
	tot.FatigueLevel = analytics.FatigueLevel(tot.FatigueScore, limit)
	// Most fatigued first: the line a lead should read first is on top.
	sort.SliceStable(o.Teams, func(i, j int) bool {
		a, b := o.Teams[i], o.Teams[j]
		if a.FatigueScore != b.FatigueScore {
			return a.FatigueScore > b.FatigueScore
		}
		return a.Team < b.Team
	})
	return o
}
