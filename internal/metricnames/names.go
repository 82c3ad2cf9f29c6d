// Package metricnames is the single list of the metric families pagerlens
// exposes to Prometheus (the "Names" table of the metrics design).
//
// Both the Prometheus exporter and the Grafana dashboards import it: the
// exporter registers exactly these names and the dashboards build their PromQL
// from these constants, so a renamed or removed metric breaks the build or a
// test instead of leaving a dashboard panel silently empty. The names are a
// contract with users' dashboards and alerts: change one only with a
// migration note.
package metricnames

// Type is the Prometheus metric type of a family.
type Type string

// The metric types pagerlens uses. Windowed MTTx figures are const summaries,
// all-time durations cumulative histograms, windowed counts gauges.
const (
	Counter   Type = "counter"
	Gauge     Type = "gauge"
	Summary   Type = "summary"
	Histogram Type = "histogram"
)

// Label names shared by many families. Windowed figures carry LabelWindow.
const (
	LabelTeam      = "team"
	LabelService   = "service"
	LabelSeverity  = "severity"
	LabelWindow    = "window"
	LabelAlertname = "alertname"
	LabelResponder = "responder"
	LabelPeriod    = "period"
	LabelSchedule  = "schedule"
	LabelTopic     = "topic"
	LabelPartition = "partition"
	LabelOutcome   = "outcome"
	LabelReason    = "reason"
	LabelJob       = "job"    // Prometheus's target label: no pagerlens family carries it
	LabelExport    = "export" // a scheduled export's config name, on the export self-metrics
	LabelTarget    = "target" // a delivery target kind: email, slack, webhook
	LabelSource    = "source"
	LabelCode      = "code"
	LabelEndpoint  = "endpoint" // serve's HTTP API endpoint (snapshot, report, export, sql, index)
	// LabelQuantile and LabelLe are added by the summary and histogram
	// encodings themselves; they are listed here so PromQL builders need no
	// string literals, but they never appear in Family.Labels.
	LabelQuantile = "quantile"
	LabelLe       = "le"
)

// Values of LabelPeriod: the three buckets that partition the week in the
// responder's timezone.
const (
	PeriodBusiness = "business"
	PeriodOffHours = "off_hours"
	PeriodSleep    = "sleep"
)

// Values of LabelOutcome on IngestMessagesTotal.
const (
	OutcomeStored       = "stored"
	OutcomeDuplicate    = "duplicate"
	OutcomeDeadLettered = "dead_lettered"
)

// MTTx over a window (const summaries: quantiles 0.5 0.9 0.95 0.99, _sum, _count).
const (
	IncidentDetectSeconds   = "pagerlens_incident_detect_seconds"
	IncidentAckSeconds      = "pagerlens_incident_ack_seconds"
	IncidentMitigateSeconds = "pagerlens_incident_mitigate_seconds"
	IncidentResolveSeconds  = "pagerlens_incident_resolve_seconds"
)

// Incident counts.
const (
	Incidents                      = "pagerlens_incidents"
	IncidentsEscalated             = "pagerlens_incidents_escalated"
	IncidentsAutoResolved          = "pagerlens_incidents_auto_resolved"
	IncidentsReassigned            = "pagerlens_incidents_reassigned"
	IncidentsMajor                 = "pagerlens_incidents_major"
	IncidentsMissedByAlerting      = "pagerlens_incidents_missed_by_alerting"
	IncidentsOpen                  = "pagerlens_incidents_open"
	IncidentOldestOpenAgeSeconds   = "pagerlens_incident_oldest_open_age_seconds"
	IncidentsTotal                 = "pagerlens_incidents_total"
	IncidentAckDurationSeconds     = "pagerlens_incident_ack_duration_seconds"
	IncidentResolveDurationSeconds = "pagerlens_incident_resolve_duration_seconds"
)

// Alert quality.
const (
	Alerts             = "pagerlens_alerts"
	AlertsAcknowledged = "pagerlens_alerts_acknowledged"
	AlertsActionable   = "pagerlens_alerts_actionable"
	AlertsTransient    = "pagerlens_alerts_transient"
	AlertsAutoResolved = "pagerlens_alerts_auto_resolved"
	AlertsOffHours     = "pagerlens_alerts_outside_business"
	AlertsSleepHours   = "pagerlens_alerts_during_sleep"
	AlertsFlapping     = "pagerlens_alerts_flapping"
)

// Alert tuning, simulated (docs/metrics.md, "Alert tuning"): one window
// (30d when configured), so no window label.
const (
	AlertTuningSuppressibleAlerts = "pagerlens_alert_tuning_suppressible_alerts"
	// LabelChange names the simulated change.
	LabelChange = "change"
)

// Values of LabelChange.
const (
	ChangeFor           = "for"             // alerts the recommended for: would have suppressed
	ChangeKeepFiringFor = "keep_firing_for" // re-triggers the recommended keep_firing_for: would have merged
	ChangeInhibition    = "inhibition"      // alerts the strongest inhibitor would have inhibited
	ChangeBusinessHours = "business_hours"  // off-hours alerts business-hours routing would have held back
)

// TuningChanges lists LabelChange's values in exposition order.
var TuningChanges = []string{ChangeFor, ChangeKeepFiringFor, ChangeInhibition, ChangeBusinessHours}

// On-call load and pager fatigue.
const (
	Interruptions                    = "pagerlens_interruptions"
	NightsInterrupted                = "pagerlens_nights_interrupted"
	IncidentsAcknowledgedByResponder = "pagerlens_incidents_acknowledged_by_responder"
	ShiftsOverLimit                  = "pagerlens_shifts_over_limit"
	EngagedSeconds                   = "pagerlens_engaged_seconds"
	OncallSeconds                    = "pagerlens_oncall_seconds"
	PagerFatigueScore                = "pagerlens_pager_fatigue_score"
	TeamInterruptionsGini            = "pagerlens_team_interruptions_gini"
)

// Incident command practice (issue 12).
const (
	IncidentsWithoutCommander         = "pagerlens_incidents_without_commander"
	IncidentTimeToCommanderSeconds    = "pagerlens_incident_time_to_commander_seconds"
	IncidentStatusUpdateMaxGapSeconds = "pagerlens_incident_status_update_max_gap_seconds"
	IncidentsUpdateGapOverTarget      = "pagerlens_incidents_update_gap_over_target"
	RetrospectivesCompleted           = "pagerlens_retrospectives_completed"
	ActionItemsOpen                   = "pagerlens_action_items_open"
	ActionItemsCompleted              = "pagerlens_action_items_completed"
	ScheduleUncoveredSeconds          = "pagerlens_schedule_uncovered_seconds"
	ServiceTopResponderShare          = "pagerlens_service_top_responder_share"
	IncidentsWithoutOwner             = "pagerlens_incidents_without_owner"
)

// Pipeline self-metrics: ingest, analytics refresh, exports, webhooks.
const (
	IngestMessagesTotal                  = "pagerlens_ingest_messages_total"
	IngestDeadLettersTotal               = "pagerlens_ingest_dead_letters_total"
	IngestBatchDurationSeconds           = "pagerlens_ingest_batch_duration_seconds"
	IngestConsumerLag                    = "pagerlens_ingest_consumer_lag"
	IngestDecodeWarningsTotal            = "pagerlens_ingest_decode_warnings_total"
	AnalyticsRefreshDurationSeconds      = "pagerlens_analytics_refresh_duration_seconds"
	AnalyticsLastRefreshTimestampSeconds = "pagerlens_analytics_last_refresh_timestamp_seconds"
	AnalyticsRefreshErrorsTotal          = "pagerlens_analytics_refresh_errors_total"
	ExportRunsTotal                      = "pagerlens_export_runs_total"
	ExportLastSuccessTimestampSeconds    = "pagerlens_export_last_success_timestamp_seconds"
	ExportDeliveriesTotal                = "pagerlens_export_deliveries_total"
	WebhookRequestsTotal                 = "pagerlens_webhook_requests_total"
	WebhookRequestDurationSeconds        = "pagerlens_webhook_request_duration_seconds"
	StoreMemoryBytes                     = "pagerlens_store_memory_bytes"
	StoreWALBytes                        = "pagerlens_store_wal_bytes"
	StoreNativeHeapBytes                 = "pagerlens_store_native_heap_bytes"
	StoreNativeReleasesTotal             = "pagerlens_store_native_releases_total"
	ImportRunsTotal                      = "pagerlens_import_runs_total"
	ImportLastSuccessTimestampSeconds    = "pagerlens_import_last_success_timestamp_seconds"
	APIRequestsTotal                     = "pagerlens_api_requests_total"
	APIRequestDurationSeconds            = "pagerlens_api_request_duration_seconds"
)

// Family describes one metric family: what the exporter must register and
// what a dashboard may query.
type Family struct {
	Name string
	Type Type
	// Labels are the family's own labels, in exposition order; quantile and
	// le are implied by Summary and Histogram and not listed.
	Labels []string
	// Help is the HELP text: the meaning of the figure in one sentence.
	Help string
}

// Label sets shared by several families. Slices are not shared between
// families (each entry gets its own copy via ls) so that a caller mutating
// one family's labels cannot corrupt another's.
var (
	incidentWindowLabels  = []string{LabelTeam, LabelService, LabelSeverity, LabelWindow}
	incidentAllTimeLabels = []string{LabelTeam, LabelService, LabelSeverity}
	alertLabels           = []string{LabelTeam, LabelService, LabelAlertname, LabelWindow}
	responderLabels       = []string{LabelTeam, LabelResponder, LabelWindow}
	// Incident command figures are computed per team and severity (the
	// analytics "command" section has no service dimension).
	commandLabels = []string{LabelTeam, LabelSeverity, LabelWindow}
)

func ls(labels ...string) []string { return append([]string(nil), labels...) }

// All lists every family pagerlens exposes, grouped as in the design.
var All = []Family{
	// MTTx, windowed.
	{IncidentDetectSeconds, Summary, ls(incidentWindowLabels...), "Time to detect (triggered_at - started_at) of incidents triggered in the window that carry a customer-impact start; mean = _sum / _count."},
	{IncidentAckSeconds, Summary, ls(incidentWindowLabels...), "Time to acknowledge (first explicit ack - triggered_at) of acknowledged incidents triggered in the window; mean = _sum / _count."},
	{IncidentMitigateSeconds, Summary, ls(incidentWindowLabels...), "Time to mitigate (first mitigation, else resolve, - triggered_at) of mitigated or resolved incidents triggered in the window; mean = _sum / _count."},
	{IncidentResolveSeconds, Summary, ls(incidentWindowLabels...), "Time to resolve (final resolve - triggered_at) of resolved incidents triggered in the window, open incidents excluded; mean = _sum / _count."},

	// Incident counts.
	{Incidents, Gauge, ls(incidentWindowLabels...), "Incidents triggered in the window."},
	{IncidentsEscalated, Gauge, ls(incidentWindowLabels...), "Incidents triggered in the window that were escalated at least once."},
	{IncidentsAutoResolved, Gauge, ls(incidentWindowLabels...), "Incidents triggered in the window that were resolved without any acknowledgement."},
	{IncidentsReassigned, Gauge, ls(incidentWindowLabels...), "Incidents triggered in the window that were reassigned at least once."},
	{IncidentsMajor, Gauge, ls(incidentWindowLabels...), "Incidents triggered in the window at one of the major (two highest, configurable) severities."},
	{IncidentsMissedByAlerting, Gauge, ls(incidentWindowLabels...), "Incidents triggered in the window that were detected by a human or a customer rather than by an alert."},
	{IncidentsOpen, Gauge, ls(incidentAllTimeLabels...), "Incidents open now (triggered and not finally resolved)."},
	{IncidentOldestOpenAgeSeconds, Gauge, ls(LabelTeam), "Age of the team's oldest open incident."},
	{IncidentsTotal, Counter, ls(incidentAllTimeLabels...), "All incidents ever stored, restored from the store at start so that it never resets."},
	{IncidentAckDurationSeconds, Histogram, ls(incidentAllTimeLabels...), "All-time distribution of incident time to acknowledge, buckets 30s to 30d."},
	{IncidentResolveDurationSeconds, Histogram, ls(incidentAllTimeLabels...), "All-time distribution of incident time to resolve, buckets 30s to 30d."},

	// Alert quality.
	{Alerts, Gauge, ls(alertLabels...), "Alerts (trigger-to-resolve lives of one alert key) triggered in the window."},
	{AlertsAcknowledged, Gauge, ls(alertLabels...), "Alerts of the window acknowledged by a human."},
	{AlertsActionable, Gauge, ls(alertLabels...), "Alerts of the window that were acknowledged or attached to an incident (action taken)."},
	{AlertsTransient, Gauge, ls(alertLabels...), "Alerts of the window resolved by the system within the transient limit (default 5 minutes) with no ack."},
	{AlertsAutoResolved, Gauge, ls(alertLabels...), "Alerts of the window resolved by the system with no ack, any duration."},
	{AlertsOffHours, Gauge, ls(alertLabels...), "Alerts of the window that fired in off hours of the responder's (else the team's) timezone."},
	{AlertsSleepHours, Gauge, ls(alertLabels...), "Alerts of the window that fired in sleep hours (22:00-08:00) of the responder's (else the team's) timezone."},
	{AlertsFlapping, Gauge, ls(LabelTeam, LabelService, LabelWindow), "Alert keys that triggered 3 or more times within 1 hour (configurable) in the window."},
	{AlertTuningSuppressibleAlerts, Gauge, ls(LabelTeam, LabelService, LabelAlertname, LabelChange), "Alerts of the tuning window (30d) the simulated change would have spared: for (recommended for:), keep_firing_for (merged re-triggers), inhibition (strongest inhibitor), business_hours (off-hours alerts held back); 0 when it does not apply."},

	// On-call load and pager fatigue.
	{Interruptions, Gauge, ls(LabelTeam, LabelResponder, LabelPeriod, LabelWindow), "Interruptions (page notifications by phone, SMS, push or of unknown channel, not e-mail, by default; repeats within 2 minutes merged) of a responder in the window, by period in the responder's timezone."},
	{NightsInterrupted, Gauge, ls(responderLabels...), "Distinct local nights of the window with at least one sleep-hours interruption."},
	{IncidentsAcknowledgedByResponder, Gauge, ls(responderLabels...), "Incidents of the window the responder acknowledged."},
	{ShiftsOverLimit, Gauge, ls(responderLabels...), "12-hour blocks of on-call time in the window, counted from each shift start, with more than 2 incidents (the Google SRE limit per 12-hour shift; configurable)."},
	{EngagedSeconds, Gauge, ls(responderLabels...), "Time engaged: ack to resolve of the incidents the responder acknowledged in the window, overlapping engagements merged (a folded series sums its members)."},
	{OncallSeconds, Gauge, ls(responderLabels...), "Time on call in the window, from shift start and end events."},
	{PagerFatigueScore, Gauge, ls(responderLabels...), "Pager fatigue score: business + 2 x off-hours + 4 x sleep interruptions (weights configurable), those in shifts per week on call and the rest per week of the window, never per less than a week. 28 = the Google SRE limit of 2 incidents per 12 hours held for a week."},
	{TeamInterruptionsGini, Gauge, ls(LabelTeam, LabelWindow), "Gini coefficient of interruptions across the team's responders: 0 even, 1 one person takes all."},

	// Incident command practice.
	{IncidentsWithoutCommander, Gauge, ls(commandLabels...), "Major incidents of the window that never had an incident commander assigned."},
	{IncidentTimeToCommanderSeconds, Summary, ls(commandLabels...), "Time from trigger to the first commander role assignment of incidents of the window; mean = _sum / _count."},
	{IncidentStatusUpdateMaxGapSeconds, Summary, ls(commandLabels...), "Per resolved incident of the window, the longest gap between trigger, status updates and resolve; mean = _sum / _count."},
	{IncidentsUpdateGapOverTarget, Gauge, ls(commandLabels...), "Incidents of the window whose longest status-update gap exceeds the target (30 minutes for major incidents, configurable)."},
	{RetrospectivesCompleted, Gauge, ls(commandLabels...), "Major incidents of the window with a completed retrospective (the share divides by pagerlens_incidents_major)."},
	{ActionItemsOpen, Gauge, ls(commandLabels...), "Follow-up action items of the incidents of the window not completed by now."},
	{ActionItemsCompleted, Gauge, ls(commandLabels...), "Follow-up action items of the incidents of the window completed by now."},
	{ScheduleUncoveredSeconds, Gauge, ls(LabelTeam, LabelSchedule, LabelWindow), "Time of the window (from the schedule's first shift, if later) in which the schedule had nobody on call, from shift events."},
	{ServiceTopResponderShare, Gauge, ls(LabelTeam, LabelService, LabelWindow), "Share (0-1) of the service's acknowledged incidents of the window acknowledged by its most frequent responder; above 0.8 with 5 or more acknowledged incidents is a single point of failure."},
	{IncidentsWithoutOwner, Gauge, ls(LabelTeam, LabelService, LabelWindow), "Incidents of the window with no team or no service (the missing label is empty)."},

	// Pipeline self-metrics.
	{IngestMessagesTotal, Counter, ls(LabelTopic, LabelOutcome), "Messages consumed, by outcome: stored, duplicate or dead_lettered."},
	{IngestDeadLettersTotal, Counter, ls(LabelReason), "Messages written to the dead-letter table, by reason."},
	{IngestBatchDurationSeconds, Histogram, nil, "Duration of one ingest batch: decode, store and offset commit."},
	{IngestConsumerLag, Gauge, ls(LabelTopic, LabelPartition), "Messages behind the end of the partition."},
	{IngestDecodeWarningsTotal, Counter, ls(LabelSource, LabelReason), "Messages decoded with a warning (e.g. Alertmanager truncatedAlerts > 0), by source and reason."},
	{AnalyticsRefreshDurationSeconds, Gauge, nil, "Duration of the last analytics snapshot refresh."},
	{AnalyticsLastRefreshTimestampSeconds, Gauge, nil, "Unix time of the last successful analytics snapshot refresh."},
	{AnalyticsRefreshErrorsTotal, Counter, nil, "Failed analytics refreshes; the last good snapshot keeps being served."},
	// The export label was "job" until issue 7: that clashes with the
	// scrape target's job label (Prometheus renames ours exported_job
	// unless honor_labels is set), so it is "export".
	{ExportRunsTotal, Counter, ls(LabelExport, LabelOutcome), "Scheduled export runs, by export and outcome (success, failure)."},
	{ExportLastSuccessTimestampSeconds, Gauge, ls(LabelExport), "Unix time of the scheduled export's last successful run."},
	{ExportDeliveriesTotal, Counter, ls(LabelExport, LabelTarget, LabelOutcome), "Deliveries of written exports, by export, target (email, slack, webhook) and outcome (success, failure: after its retries)."},
	{WebhookRequestsTotal, Counter, ls(LabelSource, LabelCode), "Webhook requests received, by source and HTTP status code."},
	{WebhookRequestDurationSeconds, Histogram, ls(LabelSource), "Duration of webhook requests, by source, until the events are durable."},
	{StoreMemoryBytes, Gauge, nil, "Memory DuckDB accounts for in the store (duckdb_memory(): its buffer pool, which caches table data and holds what is not yet checkpointed, plus query state); bounded by memory_limit. Sampled every 15 s."},
	{StoreWALBytes, Gauge, nil, "Size of the store's write-ahead log; checkpointed into the file past 256 MB. Sampled every 15 s."},
	{StoreNativeHeapBytes, Gauge, nil, "C heap in use (glibc malloc's mallinfo2: what native code, DuckDB's included, allocated and has not freed). Sampled every 15 s."},
	{StoreNativeReleasesTotal, Counter, nil, "Releases of the dead eviction-queue entries DuckDB 1.5 leaks, each run when the C heap DuckDB does not account for grew by 8 MiB (docs/operations.md, Sizing memory)."},
	{ImportRunsTotal, Counter, ls(LabelSource, LabelOutcome), "Runs of serve's API import poller, by source and outcome (success; partial: stored, with problems to read again; failure: nothing imported)."},
	{ImportLastSuccessTimestampSeconds, Gauge, ls(LabelSource), "Unix time of the import poller's last successful run of the source."},
	{APIRequestsTotal, Counter, ls(LabelEndpoint, LabelCode), "Requests to serve's HTTP API (snapshot, report, export, sql, index), by endpoint and HTTP status code; 503: too many at once."},
	{APIRequestDurationSeconds, Histogram, ls(LabelEndpoint), "Duration of serve's HTTP API requests, by endpoint, until the answer is written."},
}

// meanings are the longer definitions of the figures, as the dashboards'
// panel descriptions give them; Help (above) is the short one of the
// exposition. Both are kept here, beside each other, so that a definition
// is changed in one file for /metrics and the dashboards alike (docs/metrics.md
// holds the full rules). The all-time histograms mean what their windowed
// summaries mean.
var meanings = map[string]string{
	IncidentDetectSeconds:   "Time to detect (MTTD): trigger time − start of customer impact, for incidents whose trigger carries the impact start.",
	IncidentAckSeconds:      "Time to acknowledge (MTTA): first explicit acknowledgement − trigger time, for acknowledged incidents (reassign, escalate and resolve are not acks; incidents resolved without an ack count as auto-resolved instead).",
	IncidentMitigateSeconds: "Time to mitigate (MTTM): first mitigation (else the resolve) − trigger time, for mitigated or resolved incidents.",
	IncidentResolveSeconds:  "Time to resolve (MTTR): final resolve (not followed by a reopen) − trigger time, for resolved incidents; open incidents never enter the mean.",
}

// sameMeaning maps a family to the one whose meaning it shares.
var sameMeaning = map[string]string{
	IncidentAckDurationSeconds:     IncidentAckSeconds,
	IncidentResolveDurationSeconds: IncidentResolveSeconds,
}

// Meaning is the definition of the figure name for a panel description;
// it panics for a family without one (a dashboard bug the build's tests
// find).
func Meaning(name string) string {
	if n, ok := sameMeaning[name]; ok {
		name = n
	}
	m := meanings[name]
	if m == "" {
		panic("metricnames: no meaning for " + name)
	}
	return m
}

// Lookup returns the family named name.
func Lookup(name string) (Family, bool) {
	for _, f := range All {
		if f.Name == name {
			return f, true
		}
	}
	return Family{}, false
}
