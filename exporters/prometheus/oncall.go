package prometheus

import (
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// The on-call area: interruptions and load per responder (behind the
// responder cardinality guard) and the team's Gini coefficient.
func init() {
	registerArea("oncall", []string{
		mn.Interruptions, mn.NightsInterrupted, mn.IncidentsAcknowledgedByResponder, mn.ShiftsOverLimit,
		mn.EngagedSeconds, mn.OncallSeconds, mn.PagerFatigueScore, mn.TeamInterruptionsGini,
	}, func(d descs) area { return oncallArea{d} })
}

type oncallArea struct{ d descs }

type responderKey struct{ window, team, responder string }

type responderRow struct {
	interruptions, outside   analytics.Interruptions
	nights, acked, overLimit int64
	engaged, oncall, fatigue float64
	members                  int
	pagedOutside             int64 // members with pages outside every shift
}

func (a oncallArea) build(snap *analytics.Snapshot, opts Options, b *builder) {
	d := a.d
	name := responderNames(snap.Responders, opts.Responders)
	var rows ordered[responderKey, responderRow]
	for _, r := range snap.Responders {
		team := orUnknown(r.Team)
		row := rows.at(responderKey{r.Window, team, name(team, r.Responder)})
		row.interruptions.Add(r.Interruptions)
		row.outside.Add(r.InterruptionsOutsideShifts)
		if r.InterruptionsOutsideShifts.Total() > 0 {
			row.pagedOutside++
		}
		// Summed over a folded group, nights are responder-nights.
		row.nights += r.NightsInterrupted
		row.acked += r.IncidentsAcknowledged
		row.overLimit += r.ShiftsOverLimit
		row.engaged += r.EngagedSeconds
		row.oncall += r.OnCallSeconds
		row.fatigue = r.FatigueScore
		row.members++
	}
	for i, k := range rows.keys {
		r := &rows.vals[i]
		if r.members > 1 {
			// A score is a rate, not a count: a group's score is the
			// formula applied to its sums, as analytics does for teams.
			var window time.Duration
			if w, err := analytics.ParseWindow(k.window); err == nil {
				window = w.Duration
			}
			r.fatigue = analytics.FatigueScore(opts.FatigueWeights, r.interruptions, r.outside, r.oncall, window, r.pagedOutside)
		}
		for _, p := range []struct {
			period string
			n      int64
		}{{mn.PeriodBusiness, r.interruptions.Business}, {mn.PeriodOffHours, r.interruptions.OffHours}, {mn.PeriodSleep, r.interruptions.Sleep}} {
			b.gauge(d.get(mn.Interruptions), float64(p.n), k.team, k.responder, p.period, k.window)
		}
		lvs := []string{k.team, k.responder, k.window}
		b.gauge(d.get(mn.NightsInterrupted), float64(r.nights), lvs...)
		b.gauge(d.get(mn.IncidentsAcknowledgedByResponder), float64(r.acked), lvs...)
		b.gauge(d.get(mn.ShiftsOverLimit), float64(r.overLimit), lvs...)
		b.gauge(d.get(mn.EngagedSeconds), r.engaged, lvs...)
		b.gauge(d.get(mn.OncallSeconds), r.oncall, lvs...)
		b.gauge(d.get(mn.PagerFatigueScore), r.fatigue, lvs...)
	}

	type teamKey struct{ window, team string }
	var gini ordered[teamKey, float64]
	for _, t := range snap.Teams {
		// Two raw teams normalizing to one ("" and "unknown") are rare;
		// the larger (less even) coefficient is the safer one to show.
		g := gini.at(teamKey{t.Window, orUnknown(t.Team)})
		*g = max(*g, t.Gini)
	}
	for i, k := range gini.keys {
		b.gauge(d.get(mn.TeamInterruptionsGini), gini.vals[i], k.team, k.window)
	}
}
