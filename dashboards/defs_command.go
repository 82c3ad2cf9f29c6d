package dashboards

import (
	"fmt"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// Thresholds of incident command practice (analytics.DefaultUpdateGapTarget,
// analytics.TopResponderShareFlag): the dashboards package imports metric
// names only, so the two numbers are repeated here.
const (
	updateGapTargetSeconds = 30 * 60
	topResponderShareFlag  = 0.8
)

// noteNoService: the command families are per team and severity; the
// service variable does not narrow them.
const noteNoService = " Per team and severity: the service selection does not apply."

func incidentCommand(p promql) def {
	bySvc := []string{mn.LabelTeam, mn.LabelService}
	// Share of a family among major incidents. pagerlens_incidents_major
	// carries a service label too; summed over it, the ratio is per team
	// and severity like the numerator.
	ofMajor := func(num string) string { return p.ratio(num, mn.IncidentsMajor, fCommand) }
	open := p.total(mn.ActionItemsOpen, fCommand)
	done := p.total(mn.ActionItemsCompleted, fCommand)
	bySev := p.total(mn.Incidents, fIncidentWindow, mn.LabelSeverity)
	return def{
		uid: UIDCommand, title: "pagerlens / Incident command",
		description: "How incidents are run: commander, status updates, severity, retrospectives and follow-up actions, on-call coverage and single points of failure.",
		rows: []row{
			{title: "Commander and status updates", panels: []panel{
				{
					kind: kindStat, title: "Time to commander", unit: unitSeconds, w: 6, h: 5,
					description: "First incident commander assignment − trigger time, for incidents that had a commander." + noteWindow + noteMean + noteQuantile + noteNoService,
					targets: []target{
						{expr: p.mean(mn.IncidentTimeToCommanderSeconds, fCommand), legend: "mean"},
						{expr: p.quantile(mn.IncidentTimeToCommanderSeconds, "0.5", fCommand), legend: "p50"},
						{expr: p.quantile(mn.IncidentTimeToCommanderSeconds, "0.9", fCommand), legend: "p90"},
					},
				},
				{
					kind: kindStat, title: "Major incidents without a commander", unit: unitCount, w: 6, h: 5,
					description: "Major incidents (the two highest severities by default) that never had an incident commander assigned: nobody was the central point of coordination. Count and share of major incidents." + noteWindow + noteNoService,
					targets: []target{
						{expr: p.total(mn.IncidentsWithoutCommander, fCommand), legend: "incidents"},
						{expr: ofMajor(mn.IncidentsWithoutCommander), legend: "share"},
					},
				},
				{
					kind: kindStat, title: "Longest silence between status updates", unit: unitSeconds, w: 6, h: 5,
					thresholds:  []step{{updateGapTargetSeconds, "red"}},
					description: "Per resolved incident, the longest gap between trigger, status updates and resolve; mean and p90 across incidents. Red from 30 minutes, the target for major incidents: others get anxious when they don't know what's going on." + noteWindow + noteMean + noteQuantile + noteNoService,
					targets: []target{
						{expr: p.mean(mn.IncidentStatusUpdateMaxGapSeconds, fCommand), legend: "mean"},
						{expr: p.quantile(mn.IncidentStatusUpdateMaxGapSeconds, "0.9", fCommand), legend: "p90"},
					},
				},
				{
					kind: kindStat, title: "Major incidents over the update target", unit: unitShare, w: 6, h: 5, min: ptr(0.0), max: ptr(1.0),
					description: "Major incidents whose longest status-update gap exceeded the target (30 minutes by default, configurable) ÷ major incidents." + noteWindow + noteNoService,
					targets:     []target{{expr: ofMajor(mn.IncidentsUpdateGapOverTarget)}},
				},
			}},
			{title: "Severity and memorialization", panels: []panel{
				{
					kind: kindBarGauge, title: "Share of incidents by severity", unit: unitShare, w: 12, h: 8, min: ptr(0.0), max: ptr(1.0),
					description: "Incidents at each severity ÷ all selected incidents. If every incident is a Sev1, none is: a large share at the top severity is severity inflation." + noteWindow,
					targets:     []target{{expr: fmt.Sprintf("%s / ignoring (%s) group_left () %s", bySev, mn.LabelSeverity, p.total(mn.Incidents, fIncidentWindow)), legend: "{{severity}}"}},
				},
				{
					kind: kindStat, title: "Retrospectives written", unit: unitShare, w: 4, h: 4, min: ptr(0.0), max: ptr(1.0),
					description: "Major incidents with a completed retrospective ÷ major incidents." + noteWindow + noteNoService,
					targets:     []target{{expr: ofMajor(mn.RetrospectivesCompleted)}},
				},
				{
					kind: kindStat, title: "Open follow-up actions", unit: unitCount, w: 4, h: 4,
					description: "Action items of the incidents of the window not completed by now (an item belongs to the window of its incident's trigger)." + noteWindow + noteNoService,
					targets:     []target{{expr: open}},
				},
				{
					kind: kindStat, title: "Follow-up actions completed", unit: unitShare, w: 4, h: 4, min: ptr(0.0), max: ptr(1.0),
					description: "Completed ÷ all action items of the incidents of the window." + noteWindow + noteNoService,
					targets:     []target{{expr: fmt.Sprintf("%s / (%s + %s)", done, done, open)}},
				},
			}},
			{title: "People and coverage", panels: []panel{
				{
					kind: kindTable, title: "Knowledge concentration by service", w: 16, h: 10, sortBy: "Top responder share",
					description: "Per service: the share of its acknowledged incidents acknowledged by its most frequent responder (red above 80%: with 5 or more acknowledged incidents the service depends on one person, a single point of failure; the fatigue report names them), its incidents, and those without a team or service." + noteWindow,
					columns: []column{
						{title: "Top responder share", unit: unitShare, expr: p.highest(mn.ServiceTopResponderShare, fServiceWindow, bySvc...),
							thresholds: []step{{topResponderShareFlag, "red"}}},
						{title: "Incidents", unit: unitCount, expr: p.total(mn.Incidents, fServiceWindow, bySvc...)},
						{title: "Without owner", unit: unitCount, expr: p.total(mn.IncidentsWithoutOwner, fServiceWindow, bySvc...)},
					},
				},
				{
					kind: kindBarGauge, title: "Time with nobody on call", unit: unitSeconds, w: 8, h: 10,
					thresholds:  []step{{1, "red"}},
					description: "Per team and schedule, the time of the window (from the schedule's first shift, if later) in which nobody was on call, from shift start and end events; red for any gap." + noteWindow,
					targets:     []target{{expr: p.total(mn.ScheduleUncoveredSeconds, fTeamWindow, mn.LabelTeam, mn.LabelSchedule), legend: "{{team}} / {{schedule}}"}},
				},
			}},
		},
	}
}
