package dashboards

import (
	"fmt"
	"strings"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/internal/thresholds"
)

// Thresholds from SRE guidance (Google SRE book, "Being On-Call"): at most
// 25% of an engineer's time on call, at most 2 incidents per 12-hour shift.
const (
	sreMaxOncallShare       = 0.25
	sreMaxIncidentsPerShift = 2
	shiftSeconds            = 12 * 3600
	// fatigueLimit is analytics.FatigueLimit with the default weights: the
	// SRE limit held for the 14 twelve-hour blocks of a week, each at the
	// business-hours weight 1. Half of it is where the report reads
	// "elevated" (docs/metrics.md, "The fatigue score: scale and why").
	fatigueLimit = sreMaxIncidentsPerShift * 14
)

// Notes appended to descriptions, so that every panel says how its figure
// combines across the selection.
const (
	noteWindow   = " Over the selected window, ending now; an incident belongs to a window by its trigger time."
	noteMean     = " The mean is sum of durations ÷ count over everything selected, so it is the true mean of the selection."
	noteQuantile = " Percentiles do not add up: with several teams, services or severities selected, p50/p90 show the highest of them (an upper bound); the MTTx deep dive has exact all-time percentiles from histograms."
)

// mttxStat is a stat panel with the mean, p50 and p90 of one MTTx summary.
func mttxStat(p promql, title, summary, meaning string) panel {
	return panel{
		kind: kindStat, title: title, unit: unitSeconds, w: 6, h: 5,
		description: meaning + noteWindow + noteMean + noteQuantile,
		targets: []target{
			{expr: p.mean(summary, fIncidentWindow), legend: "mean"},
			{expr: p.quantile(summary, "0.5", fIncidentWindow), legend: "p50"},
			{expr: p.quantile(summary, "0.9", fIncidentWindow), legend: "p90"},
		},
	}
}

// The figures' definitions, kept with their families in metricnames.
var (
	meaningMTTD = mn.Meaning(mn.IncidentDetectSeconds)
	meaningMTTA = mn.Meaning(mn.IncidentAckSeconds)
	meaningMTTM = mn.Meaning(mn.IncidentMitigateSeconds)
	meaningMTTR = mn.Meaning(mn.IncidentResolveSeconds)
)

func overview(p promql) def {
	return def{
		uid: UIDOverview, title: "pagerlens / Reliability overview",
		description: "MTTx, incident counts and the team ranking by MTTR, from pagerlens.",
		rows: []row{
			{title: "Time to detect, acknowledge, mitigate, resolve", panels: []panel{
				mttxStat(p, "Time to acknowledge (MTTA)", mn.IncidentAckSeconds, meaningMTTA),
				mttxStat(p, "Time to resolve (MTTR)", mn.IncidentResolveSeconds, meaningMTTR),
				mttxStat(p, "Time to mitigate (MTTM)", mn.IncidentMitigateSeconds, meaningMTTM),
				mttxStat(p, "Time to detect (MTTD)", mn.IncidentDetectSeconds, meaningMTTD),
			}},
			{title: "Incidents", panels: []panel{
				{
					kind: kindBarGauge, title: "Incidents by severity", unit: unitCount, w: 8, h: 8,
					description: "Incidents triggered in the window, by their latest severity." + noteWindow,
					targets:     []target{{expr: p.total(mn.Incidents, fIncidentWindow, mn.LabelSeverity), legend: "{{severity}}"}},
				},
				{
					kind: kindStat, title: "Open incidents", unit: unitCount, w: 4, h: 4,
					description: "Incidents open now: triggered and not finally resolved (a reopen makes a resolved incident open again). Not windowed.",
					targets:     []target{{expr: p.total(mn.IncidentsOpen, fIncident)}},
				},
				{
					kind: kindStat, title: "Oldest open incident", unit: unitSeconds, w: 4, h: 4,
					description: "Age of the oldest open incident of the selected teams. Not windowed.",
					targets:     []target{{expr: p.highest(mn.IncidentOldestOpenAgeSeconds, fTeam)}},
				},
				{
					kind: kindStat, title: "Escalation rate", unit: unitShare, w: 4, h: 4, min: ptr(0.0), max: ptr(1.0),
					description: "Incidents escalated at least once ÷ incidents." + noteWindow,
					targets:     []target{{expr: p.ratio(mn.IncidentsEscalated, mn.Incidents, fIncidentWindow)}},
				},
				{
					kind: kindStat, title: "Major incidents", unit: unitCount, w: 4, h: 4,
					description: "Incidents at one of the major severities (the two highest by default, configurable)." + noteWindow,
					targets:     []target{{expr: p.total(mn.IncidentsMajor, fIncidentWindow)}},
				},
				{
					kind: kindStat, title: "Missed by alerting", unit: unitCount, w: 8, h: 4,
					description: "Incidents detected by a human or a customer rather than by an alert: the misses of the alerting. Count and share of incidents." + noteWindow,
					targets: []target{
						{expr: p.total(mn.IncidentsMissedByAlerting, fIncidentWindow), legend: "incidents"},
						{expr: p.ratio(mn.IncidentsMissedByAlerting, mn.Incidents, fIncidentWindow), legend: "share"},
					},
				},
				{
					kind: kindStat, title: "Auto-resolved incidents", unit: unitShare, w: 8, h: 4, min: ptr(0.0), max: ptr(1.0),
					description: "Incidents resolved without any acknowledgement ÷ incidents: pages nobody had to act on." + noteWindow,
					targets:     []target{{expr: p.ratio(mn.IncidentsAutoResolved, mn.Incidents, fIncidentWindow)}},
				},
				{
					kind: kindStat, title: "Reassignment rate", unit: unitShare, w: 8, h: 4, min: ptr(0.0), max: ptr(1.0),
					description: "Incidents reassigned at least once ÷ incidents: pages that reached the wrong person first." + noteWindow,
					targets:     []target{{expr: p.ratio(mn.IncidentsReassigned, mn.Incidents, fIncidentWindow)}},
				},
			}},
			{title: "Teams", panels: []panel{{
				kind: kindTable, title: "Teams by MTTR", w: 24, h: 10, sortBy: "MTTR",
				description: "One row per team, slowest to resolve first. Means are sum ÷ count over the team's services and severities." + noteWindow,
				columns: []column{
					{title: "Incidents", unit: unitCount, expr: p.total(mn.Incidents, fIncidentWindow, mn.LabelTeam)},
					{title: "Major", unit: unitCount, expr: p.total(mn.IncidentsMajor, fIncidentWindow, mn.LabelTeam)},
					{title: "MTTA", unit: unitSeconds, expr: p.mean(mn.IncidentAckSeconds, fIncidentWindow, mn.LabelTeam)},
					{title: "MTTM", unit: unitSeconds, expr: p.mean(mn.IncidentMitigateSeconds, fIncidentWindow, mn.LabelTeam)},
					{title: "MTTR", unit: unitSeconds, expr: p.mean(mn.IncidentResolveSeconds, fIncidentWindow, mn.LabelTeam)},
					{title: "Escalation rate", unit: unitShare, expr: p.ratio(mn.IncidentsEscalated, mn.Incidents, fIncidentWindow, mn.LabelTeam)},
					{title: "Missed by alerting", unit: unitCount, expr: p.total(mn.IncidentsMissedByAlerting, fIncidentWindow, mn.LabelTeam)},
					{title: "Open now", unit: unitCount, expr: p.total(mn.IncidentsOpen, fIncident, mn.LabelTeam)},
				},
			}}},
		},
	}
}

func mttx(p promql) def {
	bySvcSev := []string{mn.LabelService, mn.LabelSeverity}
	histPanel := func(title, hist, meaning string) panel {
		return panel{
			kind: kindTimeseries, title: title, unit: unitSeconds, w: 12, h: 8,
			description: meaning + " All time (never reset: rebuilt from the store at start), from a cumulative histogram with buckets 30 s … 30 d; buckets add up across teams, services, severities and shards, so these percentiles are exact for any selection, up to bucket resolution.",
			targets: []target{
				{expr: p.histQuantile(hist, "0.5", fIncident), legend: "p50"},
				{expr: p.histQuantile(hist, "0.9", fIncident), legend: "p90"},
				{expr: p.histQuantile(hist, "0.99", fIncident), legend: "p99"},
			},
		}
	}
	return def{
		uid: UIDMTTx, title: "pagerlens / MTTx deep dive",
		description: "MTTD, MTTA, MTTM and MTTR per service and severity, all-time percentiles and trends.",
		rows: []row{
			{title: "Per service and severity", panels: []panel{
				{
					kind: kindTable, title: "MTTx by service and severity", w: 24, h: 10, sortBy: "MTTR",
					description: "Means (sum ÷ count) per service and severity, and the p90 time to resolve." + noteWindow,
					columns: []column{
						{title: "Incidents", unit: unitCount, expr: p.total(mn.Incidents, fIncidentWindow, bySvcSev...)},
						{title: "MTTD", unit: unitSeconds, expr: p.mean(mn.IncidentDetectSeconds, fIncidentWindow, bySvcSev...)},
						{title: "MTTA", unit: unitSeconds, expr: p.mean(mn.IncidentAckSeconds, fIncidentWindow, bySvcSev...)},
						{title: "MTTM", unit: unitSeconds, expr: p.mean(mn.IncidentMitigateSeconds, fIncidentWindow, bySvcSev...)},
						{title: "MTTR", unit: unitSeconds, expr: p.mean(mn.IncidentResolveSeconds, fIncidentWindow, bySvcSev...)},
						{title: "MTTR p90", unit: unitSeconds, expr: p.quantile(mn.IncidentResolveSeconds, "0.9", fIncidentWindow, bySvcSev...)},
					},
				},
				{
					kind: kindBarGauge, title: "Mean time to resolve by service", unit: unitSeconds, w: 12, h: 10,
					description: meaningMTTR + noteWindow + noteMean,
					targets:     []target{{expr: p.mean(mn.IncidentResolveSeconds, fIncidentWindow, mn.LabelService), legend: "{{service}}"}},
				},
				{
					kind: kindBarGauge, title: "Mean time to acknowledge by severity", unit: unitSeconds, w: 12, h: 10,
					description: meaningMTTA + noteWindow + noteMean,
					targets:     []target{{expr: p.mean(mn.IncidentAckSeconds, fIncidentWindow, mn.LabelSeverity), legend: "{{severity}}"}},
				},
			}},
			{title: "Percentiles (all time)", panels: []panel{
				histPanel("Time to acknowledge percentiles", mn.IncidentAckDurationSeconds, meaningMTTA),
				histPanel("Time to resolve percentiles", mn.IncidentResolveDurationSeconds, meaningMTTR),
			}},
			{title: "Trends", panels: []panel{
				{
					kind: kindTimeseries, title: "Window means over time", unit: unitSeconds, w: 12, h: 8,
					description: "The selected window's MTTx means as they were at each point in time: a falling line is a team getting faster." + noteMean,
					targets: []target{
						{expr: p.mean(mn.IncidentDetectSeconds, fIncidentWindow), legend: "MTTD"},
						{expr: p.mean(mn.IncidentAckSeconds, fIncidentWindow), legend: "MTTA"},
						{expr: p.mean(mn.IncidentMitigateSeconds, fIncidentWindow), legend: "MTTM"},
						{expr: p.mean(mn.IncidentResolveSeconds, fIncidentWindow), legend: "MTTR"},
					},
				},
				{
					kind: kindTimeseries, title: "New incidents per day by severity", unit: unitCount, w: 12, h: 8, stack: true,
					description: "Incidents stored in the 24 hours before each point, by severity, from the all-time counter (restored at start, so a restart is not a drop).",
					targets: []target{{
						expr:   by("sum", []string{mn.LabelSeverity}, p.dedup(fmt.Sprintf("increase(%s[1d])", p.sel(mn.IncidentsTotal, fIncident)))),
						legend: "{{severity}}",
					}},
				},
			}},
		},
	}
}

func alertQuality(p promql, topN int) def {
	share := func(title, num, meaning string) panel {
		return panel{
			kind: kindStat, title: title, unit: unitShare, w: 4, h: 4, min: ptr(0.0), max: ptr(1.0),
			description: meaning + noteWindow,
			targets:     []target{{expr: p.ratio(num, mn.Alerts, fServiceWindow)}},
		}
	}
	bySvc := []string{mn.LabelTeam, mn.LabelService}
	byAlert := []string{mn.LabelTeam, mn.LabelService, mn.LabelAlertname}
	// Noise = alerts × (1 − actionable share) = alerts that needed no action.
	noise := fmt.Sprintf("%s - %s", p.total(mn.Alerts, fServiceWindow, byAlert...), p.total(mn.AlertsActionable, fServiceWindow, byAlert...))
	top := fmt.Sprintf("topk(%d, %s)", topN, noise)
	// Restrict every column to the noisiest alerts so the joined table has
	// no half-empty rows.
	onTop := func(expr string) string {
		return fmt.Sprintf("(%s) and on (%s) %s", expr, strings.Join(byAlert, ", "), top)
	}
	return def{
		uid: UIDAlerts, title: "pagerlens / Alert quality",
		description: "How much of the paging is actionable, transient or noisy, per team, service and alert.",
		rows: []row{
			{title: "Shares", panels: []panel{
				{
					kind: kindStat, title: "Alerts", unit: unitCount, w: 4, h: 4,
					description: "Alerts: lives of one alert key from trigger to resolve (a re-trigger after a resolve is a new alert)." + noteWindow,
					targets:     []target{{expr: p.total(mn.Alerts, fServiceWindow)}},
				},
				share("Actionable", mn.AlertsActionable, "Alerts acknowledged by a human or attached to an incident ÷ alerts (action taken; a precision proxy)."),
				share("Transient", mn.AlertsTransient, "Alerts resolved by the system within 5 minutes (configurable) with no ack ÷ alerts."),
				share("Auto-resolved", mn.AlertsAutoResolved, "Alerts resolved by the system with no ack, any duration, ÷ alerts."),
				share("Off hours", mn.AlertsOffHours, "Alerts that fired off hours (18:00–22:00 weekdays, weekends outside sleep hours) in the responder's, else the team's, timezone ÷ alerts."),
				share("Sleep hours", mn.AlertsSleepHours, "Alerts that fired in sleep hours (22:00–08:00) in the responder's, else the team's, timezone ÷ alerts."),
			}},
			{title: "Per team and service", panels: []panel{
				{
					kind: kindTable, title: "Alert quality by team and service", w: 24, h: 10, sortBy: "Alerts",
					description: "Counts and shares per team and service; each share is a ratio of counts, so it aggregates correctly." + noteWindow,
					columns: []column{
						{title: "Alerts", unit: unitCount, expr: p.total(mn.Alerts, fServiceWindow, bySvc...)},
						{title: "Acknowledged", unit: unitShare, expr: p.ratio(mn.AlertsAcknowledged, mn.Alerts, fServiceWindow, bySvc...)},
						{title: "Actionable", unit: unitShare, expr: p.ratio(mn.AlertsActionable, mn.Alerts, fServiceWindow, bySvc...)},
						{title: "Transient", unit: unitShare, expr: p.ratio(mn.AlertsTransient, mn.Alerts, fServiceWindow, bySvc...)},
						{title: "Auto-resolved", unit: unitShare, expr: p.ratio(mn.AlertsAutoResolved, mn.Alerts, fServiceWindow, bySvc...)},
						{title: "Off hours", unit: unitShare, expr: p.ratio(mn.AlertsOffHours, mn.Alerts, fServiceWindow, bySvc...)},
						{title: "Sleep hours", unit: unitShare, expr: p.ratio(mn.AlertsSleepHours, mn.Alerts, fServiceWindow, bySvc...)},
						{title: "Flapping keys", unit: unitCount, expr: p.total(mn.AlertsFlapping, fServiceWindow, bySvc...)},
					},
				},
				{
					kind: kindBarGauge, title: "Actionable share by team", unit: unitShare, w: 12, h: 8, min: ptr(0.0), max: ptr(1.0),
					description: "Alerts acknowledged or attached to an incident ÷ alerts, per team: low means most pages needed nobody." + noteWindow,
					targets:     []target{{expr: p.ratio(mn.AlertsActionable, mn.Alerts, fServiceWindow, mn.LabelTeam), legend: "{{team}}"}},
				},
				{
					kind: kindBarGauge, title: "Flapping alert keys", unit: unitCount, w: 12, h: 8,
					description: "Alert keys that triggered 3 or more times within 1 hour (configurable), per team and service." + noteWindow,
					targets:     []target{{expr: p.total(mn.AlertsFlapping, fServiceWindow, bySvc...), legend: "{{team}} / {{service}}"}},
				},
			}},
			{title: "Noisiest alerts", panels: []panel{{
				kind: kindTable, title: "Noisiest alerts", w: 24, h: 10, sortBy: "Not actionable",
				description: fmt.Sprintf("The %d alerts with the most pages that needed no action: count × (1 − actionable share). Tune or delete these first.", topN) + noteWindow,
				columns: []column{
					{title: "Alerts", unit: unitCount, expr: onTop(p.total(mn.Alerts, fServiceWindow, byAlert...))},
					{title: "Actionable", unit: unitShare, expr: onTop(p.ratio(mn.AlertsActionable, mn.Alerts, fServiceWindow, byAlert...))},
					{title: "Transient", unit: unitShare, expr: onTop(p.ratio(mn.AlertsTransient, mn.Alerts, fServiceWindow, byAlert...))},
					{title: "Not actionable", unit: unitCount, expr: top},
				},
			}}},
		},
	}
}

func oncallLoad(p promql, topN int) def {
	byResp := []string{mn.LabelTeam, mn.LabelResponder}
	respLegend := "{{responder}} ({{team}})"
	topResp := func(expr string) string { return fmt.Sprintf("topk(%d, %s)", topN, expr) }
	// Only responders with time on call: one paged without any (an
	// escalation to someone off the rotation) would divide by zero, and
	// +Inf would top the topk.
	perShift := fmt.Sprintf("%s / ((%s > 0) / %d)",
		p.total(mn.Interruptions, fTeamWindow, byResp...), p.total(mn.OncallSeconds, fTeamWindow, byResp...), shiftSeconds)
	byRespW := []string{mn.LabelTeam, mn.LabelResponder, mn.LabelWindow}
	oncallShare := p.perWindow(p.total(mn.OncallSeconds, fTeamWindow, byRespW...))
	return def{
		uid: UIDOncall, title: "pagerlens / On-call load and pager fatigue",
		description: "Interruptions, nights, time on call and load balance per responder and team, in each responder's own timezone.",
		rows: []row{
			{title: "Interruptions", panels: []panel{
				{
					kind: kindBarChart, title: "Interruptions per responder by period", unit: unitCount, w: 24, h: 10, stack: true,
					matrixRow: mn.LabelResponder, matrixColumn: mn.LabelPeriod,
					description: "Interruptions (page notifications to a responder by phone, SMS, push or of unknown channel, not e-mail, by default; repeats within 2 minutes for the same incident or alert count once), stacked by the period of the responder's local time: business (08:00–18:00 weekdays), off hours (18:00–22:00 weekdays and weekends outside sleep hours), sleep (22:00–08:00)." + noteWindow,
					targets:     []target{{expr: p.total(mn.Interruptions, fTeamWindow, mn.LabelResponder, mn.LabelPeriod)}},
				},
				{
					kind: kindBarGauge, title: "Pager fatigue score", unit: unitCount, w: 8, h: 10, decimals: ptr(1.0),
					thresholds:  []step{{fatigueLimit / 2, "yellow"}, {fatigueLimit, "red"}},
					description: fmt.Sprintf("pagerlens's heuristic: business + 2 × off-hours + 4 × sleep interruptions (weights configurable), those in shifts per week on call and the rest per week of the window, never per less than a week. Red from %d: the Google SRE limit of 2 incidents per 12-hour shift held for a week of daytime pages (7 sleep-hours pages score the same); yellow from half of it. The %d highest.", fatigueLimit, topN) + noteWindow,
					targets:     []target{{expr: topResp(p.highest(mn.PagerFatigueScore, fTeamWindow, byResp...)), legend: respLegend}},
				},
				{
					kind: kindBarGauge, title: "Nights interrupted", unit: unitCount, w: 8, h: 10,
					description: fmt.Sprintf("Distinct local nights with at least one sleep-hours interruption; the %d highest.", topN) + noteWindow,
					targets:     []target{{expr: topResp(p.total(mn.NightsInterrupted, fTeamWindow, byResp...)), legend: respLegend}},
				},
				{
					kind: kindBarGauge, title: "Interruptions per 12 h on call", unit: unitCount, w: 8, h: 10, decimals: ptr(1.0),
					thresholds:  []step{{sreMaxIncidentsPerShift, "red"}},
					description: fmt.Sprintf("Interruptions ÷ (time on call ÷ 12 h), for responders with time on call in the window. Red from %d: Google SRE guidance is at most 2 incidents per 12-hour shift; the %d highest.", sreMaxIncidentsPerShift, topN) + noteWindow,
					targets:     []target{{expr: topResp(perShift), legend: respLegend}},
				},
			}},
			{title: "Time on call", panels: []panel{
				{
					kind: kindTable, title: "On-call and engaged time", w: 24, h: 10, sortBy: "Share of window on call",
					description: "Per responder: time on call (from shift start/end), time engaged (ack → resolve of the incidents they acknowledged, overlapping engagements merged), the share of the window on call (red above 25%, the Google SRE limit), incidents acknowledged, and 12-hour blocks of on-call time over the SRE limit of 2 incidents per 12-hour shift." + noteWindow,
					columns: []column{
						{title: "On call", unit: unitSeconds, expr: p.total(mn.OncallSeconds, fTeamWindow, byRespW...)},
						{title: "Engaged", unit: unitSeconds, expr: p.total(mn.EngagedSeconds, fTeamWindow, byRespW...)},
						{title: "Share of window on call", unit: unitShare, expr: oncallShare, thresholds: []step{{sreMaxOncallShare, "red"}}},
						{title: "Incidents acknowledged", unit: unitCount, expr: p.total(mn.IncidentsAcknowledgedByResponder, fTeamWindow, byRespW...)},
						{title: "Shifts over limit", unit: unitCount, expr: p.total(mn.ShiftsOverLimit, fTeamWindow, byRespW...), thresholds: []step{{1, "red"}}},
					},
				},
				{
					kind: kindBarGauge, title: "Share of window on call", unit: unitShare, w: 8, h: 10, min: ptr(0.0), max: ptr(1.0),
					thresholds:  []step{{sreMaxOncallShare, "red"}},
					description: fmt.Sprintf("Time on call ÷ window length. Red above 25%%: Google SRE guidance caps on-call at 25%% of an engineer's time; the %d highest.", topN) + noteWindow,
					targets:     []target{{expr: topResp(oncallShare), legend: respLegend}},
				},
				{
					kind: kindBarGauge, title: "Shifts over the SRE limit", unit: unitCount, w: 8, h: 10,
					thresholds:  []step{{1, "red"}},
					description: fmt.Sprintf("12-hour blocks of on-call time (counted from each shift start) with more than 2 incidents (the Google SRE limit per 12-hour shift); red from one; the %d highest.", topN) + noteWindow,
					targets:     []target{{expr: topResp(p.total(mn.ShiftsOverLimit, fTeamWindow, byResp...)), legend: respLegend}},
				},
				{
					kind: kindBarGauge, title: "Team load balance (Gini)", unit: unitCount, w: 8, h: 10, min: ptr(0.0), max: ptr(1.0), decimals: ptr(2.0),
					thresholds:  []step{{thresholds.GiniUneven, "red"}},
					description: fmt.Sprintf("Gini coefficient of interruptions across the team's responders: 0 = evenly shared; one person taking every page gives (n−1)/n, 0.75 in a team of four. Red from %.1f, where the fatigue report calls the load uneven: pagerlens's heuristic, not SRE guidance. Not additive across shards: shows the highest.", thresholds.GiniUneven) + noteWindow,
					targets:     []target{{expr: p.highest(mn.TeamInterruptionsGini, fTeamWindow, mn.LabelTeam), legend: "{{team}}"}},
				},
			}},
		},
	}
}

func pipeline(p promql) def {
	rateQuantile := func(hist, q string, group ...string) string {
		g := append([]string{mn.LabelLe}, group...)
		return fmt.Sprintf("histogram_quantile(%s, %s)", q, by("sum", g, fmt.Sprintf("rate(%s_bucket[$__rate_interval])", hist)))
	}
	const notePerInstance = " Pipeline figures are per pagerlens process and summed over instances (every HA replica really does this work)."
	return def{
		uid: UIDPipeline, title: "pagerlens / Pipeline health",
		description: "pagerlens's own health: ingest, dead letters, consumer lag, analytics refresh, webhooks and exports. Not filtered by team, service or severity.",
		rows: []row{
			{title: "Ingest", panels: []panel{
				{
					kind: kindTimeseries, title: "Ingest rate by outcome", unit: unitRate, w: 12, h: 8, stack: true,
					description: "Messages consumed per second: stored, skipped as duplicates (already-stored event ids), or dead-lettered." + notePerInstance,
					targets:     []target{{expr: p.rate(mn.IngestMessagesTotal, mn.LabelOutcome), legend: "{{outcome}}"}},
				},
				{
					kind: kindTimeseries, title: "Dead letters by reason", unit: unitRate, w: 12, h: 8,
					description: "Messages per second that could not be decoded or validated and went to the dead_letters table (they never block their partition)." + notePerInstance,
					targets:     []target{{expr: p.rate(mn.IngestDeadLettersTotal, mn.LabelReason), legend: "{{reason}}"}},
				},
				{
					kind: kindTimeseries, title: "Consumer lag", unit: unitCount, w: 8, h: 8,
					description: "Messages behind the end of each topic, summed over partitions, per instance (each HA replica has its own consumer group).",
					targets:     []target{{expr: by("sum", []string{"instance", mn.LabelTopic}, mn.IngestConsumerLag), legend: "{{instance}} {{topic}}"}},
				},
				{
					kind: kindTimeseries, title: "Batch duration", unit: unitSeconds, w: 8, h: 8,
					description: "Duration of one ingest batch: decode, DuckDB commit and offset commit; p50 and p99 over the rate interval.",
					targets: []target{
						{expr: rateQuantile(mn.IngestBatchDurationSeconds, "0.5"), legend: "p50"},
						{expr: rateQuantile(mn.IngestBatchDurationSeconds, "0.99"), legend: "p99"},
					},
				},
				{
					kind: kindTimeseries, title: "Decode warnings", unit: unitRate, w: 8, h: 8,
					description: "Messages decoded with a warning (e.g. an Alertmanager notification with truncated alerts), per second, by source and reason." + notePerInstance,
					targets:     []target{{expr: p.rate(mn.IngestDecodeWarningsTotal, mn.LabelSource, mn.LabelReason), legend: "{{source}} {{reason}}"}},
				},
			}},
			{title: "Analytics refresh", panels: []panel{
				{
					kind: kindStat, title: "Snapshot age", unit: unitSeconds, w: 8, h: 6,
					// The refresher runs every 30 s by default: two minutes is
					// several missed refreshes, ten is a stuck refresher.
					thresholds:  []step{{120, "orange"}, {600, "red"}},
					description: "Time since the last successful analytics refresh, on the most stale instance: every other dashboard shows figures this old. Refreshes run every 30 s by default; orange from 2 min, red from 10 min.",
					targets:     []target{{expr: fmt.Sprintf("max(time() - %s)", mn.AnalyticsLastRefreshTimestampSeconds)}},
				},
				{
					kind: kindTimeseries, title: "Refresh duration", unit: unitSeconds, w: 8, h: 6,
					description: "Duration of the last analytics refresh (recomputing every metric from DuckDB), per instance.",
					targets:     []target{{expr: by("max", []string{"instance"}, mn.AnalyticsRefreshDurationSeconds), legend: "{{instance}}"}},
				},
				{
					kind: kindTimeseries, title: "Refresh errors", unit: unitRate, w: 8, h: 6,
					description: "Failed analytics refreshes per second, per instance; the last good snapshot keeps being served, so figures go stale rather than wrong.",
					targets:     []target{{expr: p.rate(mn.AnalyticsRefreshErrorsTotal, "instance"), legend: "{{instance}}"}},
				},
			}},
			{title: "Webhooks and exports", panels: []panel{
				{
					kind: kindTimeseries, title: "Webhook requests", unit: unitRate, w: 8, h: 8,
					description: "Webhook requests per second by source and HTTP status code." + notePerInstance,
					targets:     []target{{expr: p.rate(mn.WebhookRequestsTotal, mn.LabelSource, mn.LabelCode), legend: "{{source}} {{code}}"}},
				},
				{
					kind: kindTimeseries, title: "Webhook latency p99", unit: unitSeconds, w: 8, h: 8,
					description: "99th percentile of webhook request duration by source: until the events are durable (in Kafka, or committed to DuckDB without Kafka).",
					targets:     []target{{expr: rateQuantile(mn.WebhookRequestDurationSeconds, "0.99", mn.LabelSource), legend: "{{source}}"}},
				},
				{
					kind: kindTimeseries, title: "Export runs", unit: unitRate, w: 8, h: 8,
					description: "Scheduled export runs per second by export and outcome; a failed export is retried at the next tick.",
					targets:     []target{{expr: p.rate(mn.ExportRunsTotal, mn.LabelExport, mn.LabelOutcome), legend: "{{export}} {{outcome}}"}},
				},
				{
					kind: kindTimeseries, title: "Export deliveries", unit: unitRate, w: 12, h: 6,
					description: "Deliveries of written exports per second by export, target (email, slack, webhook) and outcome; a failure is counted once, after its retries, and the file is kept.",
					targets:     []target{{expr: p.rate(mn.ExportDeliveriesTotal, mn.LabelExport, mn.LabelTarget, mn.LabelOutcome), legend: "{{export}} {{target}} {{outcome}}"}},
				},
				{
					kind: kindBarGauge, title: "Time since last successful export", unit: unitSeconds, w: 12, h: 6,
					description: "Per scheduled export, the time since its last successful run.",
					targets:     []target{{expr: by("max", []string{mn.LabelExport}, fmt.Sprintf("time() - %s", mn.ExportLastSuccessTimestampSeconds)), legend: "{{export}}"}},
				},
			}},
			{title: "API imports", panels: []panel{
				{
					kind: kindTimeseries, title: "Import runs", unit: unitRate, w: 12, h: 8,
					description: "Runs per second of serve's API import poller (import: in the config) by source and outcome: success; partial (stored, some items dead-lettered and read again at the next run); failure (nothing imported: the vendor down, a rejected token; retried at the next interval)." + notePerInstance,
					targets:     []target{{expr: p.rate(mn.ImportRunsTotal, mn.LabelSource, mn.LabelOutcome), legend: "{{source}} {{outcome}}"}},
				},
				{
					kind: kindBarGauge, title: "Time since last successful import", unit: unitSeconds, w: 12, h: 8,
					description: "Per polled source, the time since its last successful or partial run; it grows while the vendor's API fails.",
					targets:     []target{{expr: by("max", []string{mn.LabelSource}, fmt.Sprintf("time() - %s", mn.ImportLastSuccessTimestampSeconds)), legend: "{{source}}"}},
				},
			}},
		},
	}
}
