package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Incident command practice (metrics.md, "Incident command practice"): how
// incidents are run rather than how fast they end. Three row kinds:
//
//   - command, per window, team and severity, over the incidents triggered
//     in the window (as MTTx): commander, status-update cadence, severity
//     inflation, retrospectives, follow-up actions, escalations while
//     unacknowledged;
//   - services, per window, team and service: knowledge concentration (a
//     person as a single point of failure) and ownership gaps;
//   - schedules, per window, team and schedule: time nobody was on call.
//
// docs/metrics.md ("Incident command practice") states every definition as
// implemented and prints the SQL below; TestCommandDocsCarryTheSQL keeps the
// two equal.

func init() {
	registerSection("command", computeCommand)
}

// Defaults of the command figures. The gap target is the one setting
// exposed in Config (UpdateGapTarget); the single-point-of-failure flag is
// the design's fixed rule.
const (
	// DefaultUpdateGapTarget is the longest silence tolerated between status
	// updates of a major incident: "others get anxious when they don't know
	// what's going on".
	DefaultUpdateGapTarget = 30 * time.Minute
	// TopResponderShareFlag and TopResponderMinIncidents: a service whose
	// most frequent responder acknowledged more than this share of its
	// acknowledged incidents, with at least that many, depends on one person.
	TopResponderShareFlag    = 0.8
	TopResponderMinIncidents = 5
)

// CommandPractice is the part of the Snapshot this file computes. It is
// embedded in Snapshot, so its fields are top-level sections of the machine
// format.
type CommandPractice struct {
	Command   []CommandStats     `json:"command"`
	Services  []ServiceStats     `json:"services"`
	Schedules []ScheduleCoverage `json:"schedules"`
}

// CommandStats is the incident command practice of the incidents triggered
// in one window for one team and severity (the incident's latest severity,
// as everywhere). Counts are additive across rows; shares are given for
// convenience and recomputed from the counts when rows are summed.
type CommandStats struct {
	Window   string `json:"window"`
	Team     string `json:"team"`
	Severity string `json:"severity"`

	Incidents int64 `json:"incidents"`
	Major     int64 `json:"major"` // severity in cfg.MajorSeverities

	// Commander: first incident.role_assigned with role commander up to Now.
	WithCommander    int64 `json:"with_commander"`    // any severity
	WithoutCommander int64 `json:"without_commander"` // major incidents only
	TimeToCommander  Stat  `json:"time_to_commander_seconds"`

	// Status-update cadence of resolved incidents: per incident, the gaps
	// between triggered_at, each distinct status-update instant and
	// resolved_at; the Stats are over incidents of their median and max gap.
	StatusUpdates       int64 `json:"status_updates"`
	UpdateMedianGap     Stat  `json:"update_median_gap_seconds"`
	UpdateMaxGap        Stat  `json:"update_max_gap_seconds"`
	UpdateGapOverTarget int64 `json:"update_gap_over_target"` // major, max gap > target

	// Severity inflation: incidents at the top severity (the first of
	// cfg.MajorSeverities); incidents lowered by a severity change after
	// the trigger.
	TopSeverity int64 `json:"top_severity"`
	Downgraded  int64 `json:"downgraded"`

	// Retrospectives of major incidents, and resolve → first retrospective.
	Retrospectives     int64    `json:"retrospectives"`
	RetrospectiveShare *float64 `json:"retrospective_share"` // ÷ major; null without major incidents
	RetrospectiveDelay Stat     `json:"retrospective_seconds"`

	// Follow-up action items attached to these incidents, as of Now.
	ActionItemsCreated   int64    `json:"action_items_created"`
	ActionItemsCompleted int64    `json:"action_items_completed"`
	ActionItemsOpen      int64    `json:"action_items_open"`
	ActionItemsDoneShare *float64 `json:"action_items_completion_share"` // null without items
	OpenActionItemAge    Stat     `json:"open_action_item_age_seconds"`

	// Escalated while unacknowledged: the primary did not answer.
	EscalatedUnacknowledged      int64    `json:"escalated_unacknowledged"`
	EscalatedUnacknowledgedShare *float64 `json:"escalated_unacknowledged_share"` // ÷ incidents
}

// ServiceStats is the knowledge concentration and ownership of the incidents
// triggered in one window for one team and service.
type ServiceStats struct {
	Window  string `json:"window"`
	Team    string `json:"team"`
	Service string `json:"service"`

	Incidents    int64 `json:"incidents"`
	Acknowledged int64 `json:"acknowledged"` // with a counted ack (acknowledged_by)
	Responders   int64 `json:"responders"`   // distinct acknowledged_by
	// TopResponder acknowledged the most of them (ties: the first by name);
	// TopResponderShare = its acknowledgements ÷ Acknowledged, null with none.
	TopResponder      string   `json:"top_responder"`
	TopResponderAcks  int64    `json:"top_responder_acks"`
	TopResponderShare *float64 `json:"top_responder_share"`
	// Flagged: share > TopResponderShareFlag with Acknowledged ≥
	// TopResponderMinIncidents: the service depends on one person.
	Flagged bool `json:"flagged"`
	// IncidentsWithoutOwner have no team or no service (the row's team or
	// service is then "").
	IncidentsWithoutOwner int64 `json:"incidents_without_owner"`
}

// ScheduleCoverage is the on-call coverage of one team's schedule in one
// window: the time from the window start (or the schedule's first shift, if
// later) to Now, split into covered and uncovered time.
type ScheduleCoverage struct {
	Window   string `json:"window"`
	Team     string `json:"team"`
	Schedule string `json:"schedule"`

	CoveredSeconds    float64 `json:"covered_seconds"`
	UncoveredSeconds  float64 `json:"uncovered_seconds"`
	Gaps              int64   `json:"gaps"` // stretches with nobody on call, in the window
	LongestGapSeconds float64 `json:"longest_gap_seconds"`
}

func computeCommand(ctx context.Context, db *sql.DB, cfg Config, snap *Snapshot) error {
	snap.Command, snap.Services, snap.Schedules = []CommandStats{}, []ServiceStats{}, []ScheduleCoverage{}
	if len(cfg.Windows) == 0 {
		return nil
	}
	future, err := hasEventsAfter(ctx, db, "incident", cfg.Now)
	if err != nil {
		return err
	}
	if snap.Command, err = commandStats(ctx, db, cfg, future); err != nil {
		return err
	}
	if snap.Services, err = serviceStats(ctx, db, cfg, future); err != nil {
		return err
	}
	if snap.Schedules, err = scheduleCoverage(ctx, db, cfg); err != nil {
		return err
	}
	return nil
}

// updateGapTarget is cfg's target, 0 meaning the default.
func updateGapTarget(cfg Config) time.Duration {
	if cfg.UpdateGapTarget > 0 {
		return cfg.UpdateGapTarget
	}
	return DefaultUpdateGapTarget
}

// topSeverity is the highest severity: the first of MajorSeverities, which
// lists the major severities highest first.
func topSeverity(cfg Config) string {
	if len(cfg.MajorSeverities) == 0 {
		return ""
	}
	return cfg.MajorSeverities[0]
}

// share is n ÷ of, nil (JSON null) when of is 0: a share of nothing is
// undefined, not 0.
func share(n, of int64) *float64 {
	if of == 0 {
		return nil
	}
	v := float64(n) / float64(of)
	return &v
}

func commandStats(ctx context.Context, db *sql.DB, cfg Config, future bool) ([]CommandStats, error) {
	q, args := commandQuery(cfg, future)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("incident command: %w", err)
	}
	defer rows.Close()
	out := []CommandStats{}
	for rows.Next() {
		var r CommandStats
		var cmd, med, mx, retro, age statScan
		dst := []any{&r.Window, &r.Team, &r.Severity, &r.Incidents, &r.Major,
			&r.WithCommander, &r.WithoutCommander, &r.StatusUpdates, &r.UpdateGapOverTarget,
			&r.TopSeverity, &r.Downgraded, &r.Retrospectives,
			&r.ActionItemsCreated, &r.ActionItemsCompleted, &r.EscalatedUnacknowledged}
		for _, s := range []*statScan{&cmd, &med, &mx, &retro, &age} {
			dst = append(dst, s.dests()...)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("incident command: scan: %w", err)
		}
		r.TimeToCommander, r.UpdateMedianGap, r.UpdateMaxGap = cmd.stat(), med.stat(), mx.stat()
		r.RetrospectiveDelay, r.OpenActionItemAge = retro.stat(), age.stat()
		r.ActionItemsOpen = r.ActionItemsCreated - r.ActionItemsCompleted
		r.RetrospectiveShare = share(r.Retrospectives, r.Major)
		r.ActionItemsDoneShare = share(r.ActionItemsCompleted, r.ActionItemsCreated)
		r.EscalatedUnacknowledgedShare = share(r.EscalatedUnacknowledged, r.Incidents)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident command: %w", err)
	}
	return out, nil
}

// commandQuery is one row per window, team and severity with incidents
// triggered in the window. The rows of s are of two kinds, so that one
// GROUP BY gives both the per-incident figures and the per-item ones (the
// age of open action items is a sample per item, not per incident):
// incident rows (kind 'incident') and action-item rows (kind 'item'); each
// aggregate reads the columns of its kind, which are NULL on the other.
func commandQuery(cfg Config, future bool) (string, []any) {
	a := &queryArgs{}
	win, lo := winValues(cfg, a)
	now, from := a.ts(cfg.Now), a.ts(lo)
	major := a.strList(cfg.MajorSeverities)
	top := a.str(topSeverity(cfg))
	targetMS := updateGapTarget(cfg).Milliseconds()
	q := `WITH ` + win + `inc AS (
	SELECT * FROM ` + incidentsAsOf(now, future) + `
	WHERE triggered_at > ` + from + ` AND triggered_at <= ` + now + `
),
-- The command events of these incidents up to now (command_events: the
-- events of the eight types the query reads).
ev AS (
	SELECT incident_id, type, time, role, severity, action_id FROM command_events
	WHERE time <= ` + now + ` AND incident_id IN (SELECT incident_id FROM inc)
),
firsts AS (
	SELECT incident_id,
		min(time) FILTER (WHERE type = 'incident.role_assigned' AND role = 'commander') AS commander_at,
		min(time) FILTER (WHERE type = 'incident.retrospective_completed') AS retro_at,
		count(*) FILTER (WHERE type = 'incident.status_update') AS updates
	FROM ev GROUP BY incident_id
),
-- Status-update cadence, resolved incidents only (an open incident's
-- silence has no end yet). The points are the trigger, every distinct
-- update instant between trigger and resolve, and the resolve; the gaps are
-- between consecutive distinct points (an update sent at the same instant
-- as another, to several audiences, adds no 0-second gap). Without updates
-- the one gap is trigger → resolve; only incidents with updates need the
-- sorted list of their points.
updates AS (
	SELECT e.incident_id, list(e.time) AS ts FROM ev e JOIN inc i USING (incident_id)
	WHERE e.type = 'incident.status_update' AND i.resolved_at IS NOT NULL
		AND e.time >= i.triggered_at AND e.time <= i.resolved_at
	GROUP BY e.incident_id
),
points AS (
	SELECT i.incident_id, list_sort(list_distinct(list_concat([i.triggered_at], u.ts,
		CASE WHEN i.resolved_at >= i.triggered_at THEN [i.resolved_at] ELSE [] END))) AS pts
	FROM inc i JOIN updates u USING (incident_id)
),
cadence AS (
	SELECT incident_id, list_median(gaps) AS median_gap_ms, list_max(gaps) AS max_gap_ms
	FROM (SELECT incident_id, list_transform(range(1, len(pts)), k -> epoch_ms(pts[k + 1]) - epoch_ms(pts[k])) AS gaps
		FROM points)
	WHERE len(gaps) > 0
	UNION ALL
	SELECT incident_id, epoch_ms(resolved_at) - epoch_ms(triggered_at), epoch_ms(resolved_at) - epoch_ms(triggered_at)
	FROM inc WHERE resolved_at > triggered_at AND incident_id NOT IN (SELECT incident_id FROM updates)
),
-- A downgrade is a severity change after the trigger to a lower severity
-- than the one in force before it. Severities rank by the number in their
-- name (SEV1 above SEV2, P0 above P1); a name without a number is never
-- judged a downgrade. Only incidents with a severity change can have one.
sevs AS (
	SELECT incident_id, type, time,
		TRY_CAST(nullif(regexp_extract(severity, '([0-9]+)', 1), '') AS INTEGER) AS sev_rank,
		lag(TRY_CAST(nullif(regexp_extract(severity, '([0-9]+)', 1), '') AS INTEGER))
			OVER (PARTITION BY incident_id ORDER BY time, severity) AS prev_rank
	FROM ev WHERE type IN ('incident.triggered', 'incident.severity_changed') AND severity IS NOT NULL
		AND incident_id IN (SELECT incident_id FROM ev WHERE type = 'incident.severity_changed')
),
downgrades AS (
	SELECT DISTINCT s.incident_id FROM sevs s JOIN inc i USING (incident_id)
	WHERE s.type = 'incident.severity_changed' AND s.time > i.triggered_at AND s.sev_rank > s.prev_rank
),
-- Escalated while unacknowledged: an escalation before the counted ack
-- (or with none) and not after the resolve.
unacked AS (
	SELECT DISTINCT e.incident_id FROM ev e JOIN inc i USING (incident_id)
	WHERE e.type = 'incident.escalated'
		AND (i.acknowledged_at IS NULL OR e.time < i.acknowledged_at)
		AND (i.resolved_at IS NULL OR e.time <= i.resolved_at)
),
-- An action item is one action_id of one incident; created and completed
-- are its first such events up to now. A completion whose creation is not
-- stored still counts as an item (created, of unknown age).
items AS (
	SELECT incident_id, action_id,
		min(time) FILTER (WHERE type = 'action_item.created') AS created_at,
		min(time) FILTER (WHERE type = 'action_item.completed') AS completed_at
	FROM ev WHERE type IN ('action_item.created', 'action_item.completed') AND action_id IS NOT NULL
	GROUP BY incident_id, action_id
),
base AS (
	SELECT i.*, coalesce(i.team, '') AS team_l, coalesce(i.severity, '') AS severity_l,
		i.severity IN (` + major + `) AS is_major
	FROM inc i
),
s AS (
	SELECT w.window_idx, w.window_name, b.team_l AS team, b.severity_l AS severity, 'incident' AS kind,
		b.is_major,
		f.commander_at IS NOT NULL AS has_commander,
		CASE WHEN f.commander_at IS NOT NULL THEN greatest(0, epoch_ms(f.commander_at) - epoch_ms(b.triggered_at)) END AS commander_ms,
		f.updates, c.median_gap_ms, c.max_gap_ms,
		b.is_major AND c.max_gap_ms > ` + fmt.Sprint(targetMS) + ` AS over_target,
		b.severity = ` + top + ` AS is_top,
		d.incident_id IS NOT NULL AS downgraded,
		b.is_major AND f.retro_at IS NOT NULL AS has_retro,
		CASE WHEN b.is_major AND f.retro_at IS NOT NULL AND b.resolved_at IS NOT NULL
			THEN greatest(0, epoch_ms(f.retro_at) - epoch_ms(b.resolved_at)) END AS retro_ms,
		u.incident_id IS NOT NULL AS escalated_unacked,
		CAST(NULL AS BOOLEAN) AS item_done, CAST(NULL AS BIGINT) AS open_age_ms
	FROM base b JOIN win w ON b.triggered_at > w.win_start
	LEFT JOIN firsts f USING (incident_id)
	LEFT JOIN cadence c USING (incident_id)
	LEFT JOIN downgrades d USING (incident_id)
	LEFT JOIN unacked u USING (incident_id)
	UNION ALL BY NAME
	SELECT w.window_idx, w.window_name, b.team_l AS team, b.severity_l AS severity, 'item' AS kind,
		it.completed_at IS NOT NULL AS item_done,
		CASE WHEN it.completed_at IS NULL AND it.created_at IS NOT NULL
			THEN greatest(0, epoch_ms(` + now + `) - epoch_ms(it.created_at)) END AS open_age_ms
	FROM items it JOIN base b USING (incident_id) JOIN win w ON b.triggered_at > w.win_start
)
SELECT window_name, team, severity,
	count(*) FILTER (WHERE kind = 'incident'),
	count(*) FILTER (WHERE is_major),
	count(*) FILTER (WHERE has_commander),
	count(*) FILTER (WHERE is_major AND NOT has_commander),
	coalesce(sum(updates), 0),
	count(*) FILTER (WHERE over_target),
	count(*) FILTER (WHERE is_top),
	count(*) FILTER (WHERE downgraded),
	count(*) FILTER (WHERE has_retro),
	count(*) FILTER (WHERE kind = 'item'),
	count(*) FILTER (WHERE item_done),
	count(*) FILTER (WHERE escalated_unacked),
	` + statSQL("commander_ms") + `,
	` + statSQL("median_gap_ms") + `,
	` + statSQL("max_gap_ms") + `,
	` + statSQL("retro_ms") + `,
	` + statSQL("open_age_ms") + `
FROM s
GROUP BY window_idx, window_name, team, severity
HAVING count(*) FILTER (WHERE kind = 'incident') > 0
ORDER BY window_idx, team, severity`
	return q, a.vals
}

func serviceStats(ctx context.Context, db *sql.DB, cfg Config, future bool) ([]ServiceStats, error) {
	q, args := servicesQuery(cfg, future)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("service concentration: %w", err)
	}
	defer rows.Close()
	out := []ServiceStats{}
	for rows.Next() {
		var r ServiceStats
		var top sql.NullString
		if err := rows.Scan(&r.Window, &r.Team, &r.Service, &r.Incidents, &r.Acknowledged, &r.Responders,
			&top, &r.TopResponderAcks, &r.IncidentsWithoutOwner); err != nil {
			return nil, fmt.Errorf("service concentration: scan: %w", err)
		}
		r.TopResponder = top.String
		r.TopResponderShare = share(r.TopResponderAcks, r.Acknowledged)
		r.Flagged = r.TopResponderShare != nil && *r.TopResponderShare > TopResponderShareFlag &&
			r.Acknowledged >= TopResponderMinIncidents
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service concentration: %w", err)
	}
	return out, nil
}

// servicesQuery is one row per window, team and service with incidents
// triggered in the window: who acknowledged them, and how many lack an
// owner. The acknowledger of an incident is its counted first ack
// (acknowledged_by of the timeline).
func servicesQuery(cfg Config, future bool) (string, []any) {
	a := &queryArgs{}
	win, lo := winValues(cfg, a)
	now, from := a.ts(cfg.Now), a.ts(lo)
	q := `WITH ` + win + `s AS (
	SELECT w.window_idx, w.window_name, coalesce(i.team, '') AS team, coalesce(i.service, '') AS service,
		i.acknowledged_by, i.team IS NULL OR i.service IS NULL AS no_owner
	FROM ` + incidentsAsOf(now, future) + ` i JOIN win w ON i.triggered_at > w.win_start
	WHERE i.triggered_at > ` + from + ` AND i.triggered_at <= ` + now + `
),
-- Acknowledgements per responder; the top one is the most frequent, ties
-- broken by name so that the result is stable.
acks AS (
	SELECT window_idx, team, service, acknowledged_by, count(*) AS n,
		row_number() OVER (PARTITION BY window_idx, team, service ORDER BY count(*) DESC, acknowledged_by) AS pos
	FROM s WHERE acknowledged_by IS NOT NULL
	GROUP BY window_idx, team, service, acknowledged_by
)
SELECT s.window_name, s.team, s.service, count(*), count(s.acknowledged_by), count(DISTINCT s.acknowledged_by),
	any_value(t.acknowledged_by), coalesce(any_value(t.n), 0), count(*) FILTER (WHERE s.no_owner)
FROM s LEFT JOIN acks t ON t.window_idx = s.window_idx AND t.team = s.team AND t.service = s.service AND t.pos = 1
GROUP BY s.window_idx, s.window_name, s.team, s.service
ORDER BY s.window_idx, s.team, s.service`
	return q, a.vals
}

func scheduleCoverage(ctx context.Context, db *sql.DB, cfg Config) ([]ScheduleCoverage, error) {
	q, args := schedulesQuery(cfg)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("schedule coverage: %w", err)
	}
	defer rows.Close()
	out := []ScheduleCoverage{}
	for rows.Next() {
		var r ScheduleCoverage
		if err := rows.Scan(&r.Window, &r.Team, &r.Schedule, &r.CoveredSeconds, &r.UncoveredSeconds,
			&r.Gaps, &r.LongestGapSeconds); err != nil {
			return nil, fmt.Errorf("schedule coverage: scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("schedule coverage: %w", err)
	}
	return out, nil
}

// schedulesQuery is one row per window, team and schedule with on-call time
// in the window. Shifts are built by shiftIslandCTEs, as for on-call load (a
// shift.started runs to the next shift event of the same responder and
// schedule, else to now; an end sorts before a start at the same instant),
// but the shifts of all responders of one team's schedule are merged into
// covered stretches (islands per schedule); the holes between them, and
// after the last one up to now, are the gaps.
// Before the schedule's first shift nothing is known, so nothing counts as
// uncovered there. A schedule with no on-call time in a window at all
// (retired, or never staffed in it) gets no row for that window; the longer
// windows show it.
func schedulesQuery(cfg Config) (string, []any) {
	a := &queryArgs{}
	win, _ := windowCTE(cfg, cfg.Windows, a)
	roster := rosterCTEs(cfg, a)
	now := "CAST(" + a.add(cfg.Now.UTC()) + " AS TIMESTAMP)"
	q := `WITH ` + win + roster + shiftIslandCTEs("shift_events", now, "schedule") + `,
holes AS (
	SELECT * FROM (
		SELECT team, schedule, e AS s, coalesce(lead(s) OVER (PARTITION BY team, schedule ORDER BY s), ` + now + `) AS e
		FROM islands)
	WHERE e > s
),
cpart AS (
	SELECT w.window_idx, w.window_name, c.team, c.schedule,
		sum(epoch_ms(c.e) - epoch_ms(greatest(c.s, w.win_start))) AS covered_ms
	FROM islands c JOIN win w ON c.e > w.win_start AND c.e > c.s
	GROUP BY ALL
),
hpart AS (
	SELECT w.window_idx, h.team, h.schedule,
		sum(epoch_ms(h.e) - epoch_ms(greatest(h.s, w.win_start))) AS uncovered_ms,
		count(*) AS gaps,
		max(epoch_ms(h.e) - epoch_ms(greatest(h.s, w.win_start))) AS longest_ms
	FROM holes h JOIN win w ON h.e > w.win_start
	GROUP BY ALL
)
SELECT c.window_name, c.team, c.schedule, c.covered_ms / 1000.0,
	coalesce(h.uncovered_ms, 0) / 1000.0, coalesce(h.gaps, 0), coalesce(h.longest_ms, 0) / 1000.0
FROM cpart c LEFT JOIN hpart h USING (window_idx, team, schedule)
ORDER BY c.window_idx, c.team, c.schedule`
	return q, a.vals
}
