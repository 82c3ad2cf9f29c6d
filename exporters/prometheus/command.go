package prometheus

import (
	"github.com/pagerlens/pagerlens/analytics"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// The command area: incident command practice (analytics' command,
// services and schedules sections). Counts and summaries are per team,
// severity and window; coverage per team, schedule and window; knowledge
// concentration and ownership per team, service and window.
func init() {
	registerArea("command", []string{
		mn.IncidentsWithoutCommander, mn.IncidentTimeToCommanderSeconds,
		mn.IncidentStatusUpdateMaxGapSeconds, mn.IncidentsUpdateGapOverTarget,
		mn.RetrospectivesCompleted, mn.ActionItemsOpen, mn.ActionItemsCompleted,
		mn.ScheduleUncoveredSeconds, mn.ServiceTopResponderShare, mn.IncidentsWithoutOwner,
	}, func(d descs) area { return commandArea{d} })
}

type commandArea struct{ d descs }

type commandKey struct{ window, team, severity string }

type commandRow struct {
	withoutCommander, overTarget, retros, open, completed int64
	toCommander, maxGap                                   mergedStat
}

type scheduleKey struct{ window, team, schedule string }

type serviceKey struct{ window, team, service string }

type serviceRow struct {
	withoutOwner int64
	share        float64
	hasShare     bool
}

func (a commandArea) build(snap *analytics.Snapshot, _ Options, b *builder) {
	d := a.d
	// Rows that collide once "" reads "unknown" are merged: counts and
	// summary sums add (a merged summary drops its quantiles, which do not
	// add).
	var rows ordered[commandKey, commandRow]
	for _, c := range snap.Command {
		r := rows.at(commandKey{c.Window, orUnknown(c.Team), orUnknown(c.Severity)})
		r.withoutCommander += c.WithoutCommander
		r.overTarget += c.UpdateGapOverTarget
		r.retros += c.Retrospectives
		r.open += c.ActionItemsOpen
		r.completed += c.ActionItemsCompleted
		r.toCommander.add(c.TimeToCommander)
		r.maxGap.add(c.UpdateMaxGap)
	}
	for i, k := range rows.keys {
		r := &rows.vals[i]
		lvs := []string{k.team, k.severity, k.window}
		b.gauge(d.get(mn.IncidentsWithoutCommander), float64(r.withoutCommander), lvs...)
		b.summary(d.get(mn.IncidentTimeToCommanderSeconds), r.toCommander, lvs...)
		b.summary(d.get(mn.IncidentStatusUpdateMaxGapSeconds), r.maxGap, lvs...)
		b.gauge(d.get(mn.IncidentsUpdateGapOverTarget), float64(r.overTarget), lvs...)
		b.gauge(d.get(mn.RetrospectivesCompleted), float64(r.retros), lvs...)
		b.gauge(d.get(mn.ActionItemsOpen), float64(r.open), lvs...)
		b.gauge(d.get(mn.ActionItemsCompleted), float64(r.completed), lvs...)
	}

	var scheds ordered[scheduleKey, float64]
	for _, s := range snap.Schedules {
		*scheds.at(scheduleKey{s.Window, orUnknown(s.Team), orUnknown(s.Schedule)}) += s.UncoveredSeconds
	}
	for i, k := range scheds.keys {
		b.gauge(d.get(mn.ScheduleUncoveredSeconds), scheds.vals[i], k.team, k.schedule, k.window)
	}

	var svcs ordered[serviceKey, serviceRow]
	for _, s := range snap.Services {
		r := svcs.at(serviceKey{s.Window, orUnknown(s.Team), orUnknown(s.Service)})
		r.withoutOwner += s.IncidentsWithoutOwner
		// A share is not additive and the merged rows' responders are not
		// here to recount: the higher share (the more concentrated) is the
		// safer one to show, as for the Gini coefficient.
		if s.TopResponderShare != nil && (!r.hasShare || *s.TopResponderShare > r.share) {
			r.share, r.hasShare = *s.TopResponderShare, true
		}
	}
	for i, k := range svcs.keys {
		r := &svcs.vals[i]
		lvs := []string{k.team, k.service, k.window}
		// No acknowledged incident: no share (0 would read "evenly
		// shared"), so no series.
		if r.hasShare {
			b.gauge(d.get(mn.ServiceTopResponderShare), r.share, lvs...)
		}
		b.gauge(d.get(mn.IncidentsWithoutOwner), float64(r.withoutOwner), lvs...)
	}
}
