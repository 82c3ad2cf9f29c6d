package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/pagerlens/pagerlens/store"
)

// Alert lives and alert quality (metrics.md, "Alert quality").
//
// An alert is the life of one alert_key from an alert.triggered to the next
// alert.resolved: the key's trigger and resolve events, in time order, are
// cut into lives; a trigger while the alert is firing (a re-notification)
// belongs to the current life, a resolve while none is firing (a repeated
// resolve) is ignored, and a trigger after a resolve starts a new life. At
// equal times a trigger sorts before an ack and an ack before a resolve.
//
// The derived table alert_lives holds one row per life. A life depends on
// the order of its key's events, so it has no mergeable state like the
// incident timeline; instead each batch re-folds, per touched key, only the
// lives that its events can change: those not ended before the batch's
// earliest event of that key. Everything before that point is a finished
// sequence of lives that no later event changes, so the re-fold equals a
// full fold (TestIncrementalMatchesRebuild checks it).

func init() {
	registerDerived(store.DerivedTable{
		Name:    "alert_lives",
		Create:  []string{alertLivesCreateSQL},
		Update:  []string{alertRefoldSQL, alertLivesDeleteSQL, alertLivesInsertSQL},
		Rebuild: []string{`DROP TABLE IF EXISTS alert_lives`, alertLivesCreateSQL, `INSERT INTO alert_lives BY NAME ` + alertFoldSQL("events")},
	})
	registerSection("alerts", computeAlerts)
}

const alertLivesCreateSQL = `CREATE TABLE IF NOT EXISTS alert_lives (
	alert_key       VARCHAR   NOT NULL,
	triggered_at    TIMESTAMP NOT NULL,  -- first alert.triggered of the life
	resolved_at     TIMESTAMP,           -- first alert.resolved after it; NULL = firing
	resolved_by     VARCHAR,             -- system | human, from that resolve
	acknowledged_at TIMESTAMP,           -- first alert.acknowledged in the life (not after resolved_at)
	acknowledged_by VARCHAR,
	incident_id     VARCHAR,             -- an incident_id carried by the life's alert events, if any
	alert_name      VARCHAR,             -- first non-empty value of the life's events, triggers first
	team            VARCHAR,
	service         VARCHAR,
	severity        VARCHAR,
	triggers        BIGINT               -- alert.triggered events in the life (re-notifications + 1)
)`

// alertFoldSQL cuts the alert events of src into lives.
func alertFoldSQL(src string) string {
	first := func(col string) string {
		// Prefer the triggers' value (p = false sorts first), then the earliest.
		return fmt.Sprintf("struct_extract(min({'p': ord <> 0, 't': time, 'v': %[1]s}) FILTER (WHERE %[1]s IS NOT NULL), 'v') AS %[1]s", col)
	}
	return `WITH ev AS (
	SELECT alert_key, time, id, resolved_by, responder, incident_id, alert_name, team, service, severity,
		CASE type WHEN 'alert.triggered' THEN 0 WHEN 'alert.acknowledged' THEN 1 ELSE 2 END AS ord
	FROM ` + src + `
	WHERE alert_key IS NOT NULL AND type IN ('alert.triggered', 'alert.acknowledged', 'alert.resolved')
),
-- prev: the kind (0 trigger, 2 resolve) of the last trigger or resolve before
-- this event; a trigger after a resolve, or first of all, starts a life.
seq AS (
	SELECT *, last_value(CASE WHEN ord <> 1 THEN ord END IGNORE NULLS) OVER (
		PARTITION BY alert_key ORDER BY time, ord, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
	FROM ev
),
numbered AS (
	SELECT *, sum(CASE WHEN ord = 0 AND (prev IS NULL OR prev = 2) THEN 1 ELSE 0 END) OVER (
		PARTITION BY alert_key ORDER BY time, ord, id ROWS UNBOUNDED PRECEDING) AS life
	FROM seq
),
lives AS (
	SELECT alert_key,
		min(time) FILTER (WHERE ord = 0) AS triggered_at,
		min({'t': time, 'v': coalesce(resolved_by, '')}) FILTER (WHERE ord = 2) AS res,
		min({'t': time, 'v': coalesce(responder, '')}) FILTER (WHERE ord = 1) AS ack,
		count(*) FILTER (WHERE ord = 0) AS triggers,
		` + first("incident_id") + `,
		` + first("alert_name") + `,
		` + first("team") + `,
		` + first("service") + `,
		` + first("severity") + `
	FROM numbered
	WHERE life > 0 -- resolves and acks before the key's first trigger belong to no life
	GROUP BY alert_key, life
)
SELECT alert_key, triggered_at,
	struct_extract(res, 't') AS resolved_at,
	nullif(struct_extract(res, 'v'), '') AS resolved_by,
	CASE WHEN res IS NULL OR struct_extract(ack, 't') <= struct_extract(res, 't') THEN struct_extract(ack, 't') END AS acknowledged_at,
	CASE WHEN res IS NULL OR struct_extract(ack, 't') <= struct_extract(res, 't') THEN nullif(struct_extract(ack, 'v'), '') END AS acknowledged_by,
	incident_id, alert_name, team, service, severity, triggers
FROM lives`
}

// alertRefoldSQL: per alert key of the batch, the time from which its lives
// are re-folded: the start of the earliest life that has not ended before
// the batch's earliest event of the key (a firing life never has), else
// that event's time.
//
// The join is on the key alone and the "not ended before" test is a FILTER
// of the aggregate: with the test in the ON clause (an OR), DuckDB plans a
// blockwise nested-loop join over all of alert_lives, measured at 0.9-1.2 s
// per 50k-event batch over 380k lives (2.6 s under EXPLAIN ANALYZE); as a
// hash join it takes 34 ms. The result is the same: a key with no qualifying
// life gets min() = NULL, as the outer join's NULL row gave.
const alertRefoldSQL = `CREATE OR REPLACE TEMP TABLE alert_refold AS
WITH t AS (
	SELECT alert_key, min(time) AS t_min FROM new_events
	WHERE alert_key IS NOT NULL AND type IN ('alert.triggered', 'alert.acknowledged', 'alert.resolved')
	GROUP BY alert_key
)
SELECT t.alert_key,
	least(t.t_min, min(l.triggered_at) FILTER (WHERE l.resolved_at IS NULL OR l.resolved_at >= t.t_min)) AS since
FROM t LEFT JOIN alert_lives l ON l.alert_key = t.alert_key
GROUP BY t.alert_key, t.t_min`

// alertLivesDeleteSQL drops the lives to be re-folded: exactly those starting
// at or after since (lives do not overlap).
const alertLivesDeleteSQL = `DELETE FROM alert_lives USING alert_refold r
WHERE alert_lives.alert_key = r.alert_key AND alert_lives.triggered_at >= r.since`

// alertLivesInsertSQL re-folds the touched keys from their events since
// since (the new events are already in events). The constant lower bound
// lets DuckDB skip old row groups by their time statistics.
var alertLivesInsertSQL = `INSERT INTO alert_lives BY NAME ` + alertFoldSQL(`(
	SELECT e.* FROM events e JOIN alert_refold r ON e.alert_key = r.alert_key AND e.time >= r.since
	WHERE e.time >= (SELECT min(since) FROM alert_refold))`)

// alertLivesAsOf is alert_lives as it stood at now: keys with events after
// now are re-folded from their events up to now (see incidentsAsOf).
func alertLivesAsOf(now string, future bool) string {
	if !future {
		return "(SELECT * FROM alert_lives)"
	}
	affected := `(SELECT DISTINCT alert_key FROM events WHERE time > ` + now + ` AND alert_key IS NOT NULL AND type LIKE 'alert.%')`
	return `(SELECT * FROM alert_lives WHERE alert_key NOT IN ` + affected + `
	UNION ALL BY NAME
	SELECT * FROM (` + alertFoldSQL(`(SELECT * FROM events WHERE time <= `+now+` AND alert_key IN `+affected+`)`) + `))`
}

// AlertStats is one row of the machine format's "alerts": the alerts
// triggered in one window for one team, service and alert name, and how
// many of them were acknowledged, actionable, transient, …
type AlertStats struct {
	Window    string `json:"window"`
	Team      string `json:"team"`
	Service   string `json:"service"`
	AlertName string `json:"alertname"`

	Alerts       int64 `json:"alerts"`
	Acknowledged int64 `json:"acknowledged"`
	Actionable   int64 `json:"actionable"`
	Transient    int64 `json:"transient"`
	AutoResolved int64 `json:"auto_resolved"`
	OffHours     int64 `json:"off_hours"`
	SleepHours   int64 `json:"sleep_hours"`
	FlappingKeys int64 `json:"flapping_keys"`
	// Reset is the alert reset time: alert resolve − incident resolve, for
	// the alerts that outlived their (resolved) incident.
	Reset Stat `json:"reset_seconds"`
}

// NoisyAlert is one of the noisiest alerts of a window: the top
// cfg.NoisiestAlerts by count × (1 − actionable share) = alerts − actionable.
type NoisyAlert struct {
	Window     string  `json:"window"`
	Team       string  `json:"team"`
	Service    string  `json:"service"`
	AlertName  string  `json:"alertname"`
	Alerts     int64   `json:"alerts"`
	Actionable int64   `json:"actionable"`
	Score      float64 `json:"score"`
}

// AlertsPerIncident relates the alerts and the incidents triggered in one
// window for one team and service.
type AlertsPerIncident struct {
	Window    string `json:"window"`
	Team      string `json:"team"`
	Service   string `json:"service"`
	Alerts    int64  `json:"alerts"`
	Incidents int64  `json:"incidents"`
	// Ratio is Alerts ÷ Incidents; nil (null) with no incidents.
	Ratio *float64 `json:"ratio"`
}

func computeAlerts(ctx context.Context, db *sql.DB, cfg Config, snap *Snapshot) error {
	snap.Alerts, snap.NoisiestAlerts, snap.AlertsPerIncident = []AlertStats{}, []NoisyAlert{}, []AlertsPerIncident{}
	if len(cfg.Windows) == 0 {
		return nil
	}
	futureAlerts, err := hasEventsAfter(ctx, db, "alert", cfg.Now)
	if err != nil {
		return err
	}
	futureIncidents, err := hasEventsAfter(ctx, db, "incident", cfg.Now)
	if err != nil {
		return err
	}
	if snap.Alerts, err = alertStats(ctx, db, cfg, futureAlerts, futureIncidents); err != nil {
		return err
	}
	snap.NoisiestAlerts = noisiest(cfg, snap.Alerts)
	if snap.AlertsPerIncident, err = alertsPerIncident(ctx, db, cfg, futureIncidents, snap.Alerts); err != nil {
		return err
	}
	return nil
}

// alertTeamHours is the CTE ahours(team, tz, bs, be, ss, se, wmask): the
// roster's teams with their zone and hours. Teams not in it take UTC and
// cfg.Hours (coalesce where it is joined).
func alertTeamHours(cfg Config, a *queryArgs) string {
	var rows []string
	if cfg.Roster != nil {
		seen := map[string]bool{}
		for _, t := range cfg.Roster.Teams {
			if t.Name == "" || seen[t.Name] {
				continue
			}
			seen[t.Name] = true
			h := cfg.Hours
			if t.Hours != nil {
				h = *t.Hours
			}
			tz := "CAST(NULL AS VARCHAR)"
			if t.Timezone != "" {
				tz = a.str(t.Timezone)
			}
			rows = append(rows, fmt.Sprintf("(%s, %s, %d, %d, %d, %d, %d)", a.str(t.Name), tz,
				h.BusinessStart, h.BusinessEnd, h.SleepStart, h.SleepEnd, ocWeekdayMask(h.WorkingDays)))
		}
	}
	if len(rows) == 0 {
		return "ahours AS (SELECT CAST(NULL AS VARCHAR) AS team, CAST(NULL AS VARCHAR) AS tz, 0 AS bs, 0 AS be, 0 AS ss, 0 AS se, 0 AS wmask WHERE false),\n"
	}
	return "ahours AS (SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") v(team, tz, bs, be, ss, se, wmask)),\n"
}

func alertStats(ctx context.Context, db *sql.DB, cfg Config, futureAlerts, futureIncidents bool) ([]AlertStats, error) {
	q, args := alertStatsQuery(cfg, futureAlerts, futureIncidents)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("alert quality: %w", err)
	}
	defer rows.Close()
	out := []AlertStats{}
	for rows.Next() {
		var r AlertStats
		var reset statScan
		dst := []any{&r.Window, &r.Team, &r.Service, &r.AlertName, &r.Alerts, &r.Acknowledged, &r.Actionable,
			&r.Transient, &r.AutoResolved, &r.OffHours, &r.SleepHours, &r.FlappingKeys}
		if err := rows.Scan(append(dst, reset.dests()...)...); err != nil {
			return nil, fmt.Errorf("alert quality: scan: %w", err)
		}
		r.Reset = reset.stat()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alert quality: %w", err)
	}
	return out, nil
}

// alertStatsQuery is the alert quality query: one row per window, team,
// service and alert name with the alerts triggered in the window.
func alertStatsQuery(cfg Config, futureAlerts, futureIncidents bool) (string, []any) {
	a := &queryArgs{}
	win, lo := winValues(cfg, a)
	hours := alertTeamHours(cfg, a)
	now, from := a.ts(cfg.Now), a.ts(lo)
	q := `WITH ` + win + hours + alertLifeCTEs(cfg, now, from, futureAlerts, futureIncidents) + `-- Flapping: at least ` + fmt.Sprint(cfg.FlapCount) + ` lives of the key triggered in the window within the
-- flap period up to this one.
j AS (
	SELECT w.window_idx, w.window_name, b.*,
		coalesce(b.flap_from >= b.triggered_at - to_milliseconds(` + fmt.Sprint(cfg.FlapWithin.Milliseconds()) + `) AND b.flap_from > w.win_start, false) AS flap
	FROM b JOIN win w ON b.triggered_at > w.win_start
)
SELECT window_name, coalesce(team, ''), coalesce(service, ''), coalesce(alert_name, ''),
	count(*),
	count(*) FILTER (WHERE acked),
	count(*) FILTER (WHERE acked OR attached IS NOT NULL),
	count(*) FILTER (WHERE resolved_by = 'system' AND NOT acked
		AND epoch_ms(resolved_at) - epoch_ms(triggered_at) <= ` + fmt.Sprint(cfg.TransientAfter.Milliseconds()) + `),
	count(*) FILTER (WHERE resolved_by = 'system' AND NOT acked),
	count(*) FILTER (WHERE NOT sleep AND NOT business),
	count(*) FILTER (WHERE sleep),
	count(DISTINCT alert_key) FILTER (WHERE flap),
	` + statSQL("reset_ms") + `
FROM j
GROUP BY window_idx, window_name, coalesce(team, ''), coalesce(service, ''), coalesce(alert_name, '')
ORDER BY window_idx, 2, 3, 4`
	return q, a.vals
}

// alertLifeCTEs defines, after ahours (alertTeamHours), the CTEs inc, lv,
// att, q and b: b has one row per alert life triggered in (from, now] with
// its attached incident (attached), acked, and the sleep and business flags
// of its trigger in the team's hours. The alert quality query and the
// tuning simulations (tune.go) both read b, so "actionable" means the same
// in both. now and from are placeholder expressions.
func alertLifeCTEs(cfg Config, now, from string, futureAlerts, futureIncidents bool) string {
	h := cfg.Hours
	flapK := max(1, cfg.FlapCount)
	return `inc AS (
	SELECT incident_id, alert_key, triggered_at, acknowledged_at, resolved_at
	FROM ` + incidentsAsOf(now, futureIncidents) + `
	WHERE triggered_at <= ` + now + `
),
-- flap_from: the earliest triggered_at of the key's ` + fmt.Sprint(flapK) + ` latest lives triggered at
-- or before this one (lives at the same instant included), if it has that
-- many. In a window, the lives of the key triggered within the flap period
-- up to this one (as a RANGE frame counts them) are at least that many
-- exactly when flap_from is within the period and inside the window (j).
lv AS (
	SELECT alert_key, triggered_at, resolved_at, resolved_by, acknowledged_at, incident_id, alert_name, team, service,
		nth_value(triggered_at, ` + fmt.Sprint(flapK) + `) OVER (PARTITION BY alert_key ORDER BY triggered_at DESC
			RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS flap_from
	FROM ` + alertLivesAsOf(now, futureAlerts) + `
	WHERE triggered_at > ` + from + ` AND triggered_at <= ` + now + `
),
-- The attached incident: one named by the alert's own events, else the
-- first incident with the alert's key triggered during the life (ASOF: the
-- earliest such trigger at or after the alert's, so after the earliest
-- window start too). i_ack and i_res are the attached incident's.
att AS (
	SELECT l.*,
		coalesce(l.incident_id, CASE WHEN m.triggered_at <= coalesce(l.resolved_at, ` + now + `) THEN m.incident_id END) AS attached,
		CASE WHEN l.incident_id IS NOT NULL THEN x.acknowledged_at
			WHEN m.triggered_at <= coalesce(l.resolved_at, ` + now + `) THEN m.acknowledged_at END AS i_ack,
		CASE WHEN l.incident_id IS NOT NULL THEN x.resolved_at
			WHEN m.triggered_at <= coalesce(l.resolved_at, ` + now + `) THEN m.resolved_at END AS i_res
	FROM lv l
	ASOF LEFT JOIN (SELECT alert_key, triggered_at, incident_id, acknowledged_at, resolved_at FROM inc
		WHERE alert_key IS NOT NULL AND triggered_at > ` + from + `) m
		ON l.alert_key = m.alert_key AND l.triggered_at <= m.triggered_at
	LEFT JOIN (SELECT incident_id, acknowledged_at, resolved_at FROM inc
		WHERE incident_id IN (SELECT incident_id FROM lv WHERE incident_id IS NOT NULL)) x
		ON x.incident_id = l.incident_id
),
-- Acknowledged: an alert.acknowledged in the life, or the attached
-- incident acknowledged during the life.
q AS (
	SELECT t.*,
		t.acknowledged_at IS NOT NULL
			OR coalesce(t.i_ack >= t.triggered_at AND t.i_ack <= coalesce(t.resolved_at, ` + now + `), false) AS acked,
		CASE WHEN t.resolved_at > t.i_res THEN epoch_ms(t.resolved_at) - epoch_ms(t.i_res) END AS reset_ms,
		CASE WHEN ah.tz IS NULL THEN t.triggered_at ELSE timezone(ah.tz, timezone('UTC', t.triggered_at)) END AS lt,
		coalesce(ah.bs, ` + fmt.Sprint(h.BusinessStart) + `) AS bs, coalesce(ah.be, ` + fmt.Sprint(h.BusinessEnd) + `) AS be,
		coalesce(ah.ss, ` + fmt.Sprint(h.SleepStart) + `) AS ss, coalesce(ah.se, ` + fmt.Sprint(h.SleepEnd) + `) AS se,
		coalesce(ah.wmask, ` + fmt.Sprint(ocWeekdayMask(h.WorkingDays)) + `) AS wmask
	FROM att t
	LEFT JOIN ahours ah ON ah.team = t.team
),
-- Local hour buckets, as for interruptions: sleep hours (wrapping midnight
-- when sleep_start > sleep_end) win over business hours (working days only);
-- the rest is off hours.
b AS (
	SELECT *,
		(ss > se AND (hour(lt) >= ss OR hour(lt) < se)) OR (ss < se AND hour(lt) >= ss AND hour(lt) < se) AS sleep,
		((wmask >> (isodow(lt) % 7)) & 1) = 1 AND hour(lt) >= bs AND hour(lt) < be AS business
	FROM q
),
`
}

// noisiest ranks each window's alert rows by alerts − actionable (= count ×
// (1 − actionable share)), then by alerts, then by name; rows that were
// always actionable (score 0) are not noise and are left out.
func noisiest(cfg Config, rows []AlertStats) []NoisyAlert {
	out := []NoisyAlert{}
	for _, w := range cfg.Windows {
		var ws []NoisyAlert
		for _, r := range rows {
			if r.Window != w.Name || r.Alerts == r.Actionable {
				continue
			}
			ws = append(ws, NoisyAlert{Window: r.Window, Team: r.Team, Service: r.Service, AlertName: r.AlertName,
				Alerts: r.Alerts, Actionable: r.Actionable, Score: float64(r.Alerts - r.Actionable)})
		}
		sort.SliceStable(ws, func(i, j int) bool {
			a, b := ws[i], ws[j]
			if a.Score != b.Score {
				return a.Score > b.Score
			}
			if a.Alerts != b.Alerts {
				return a.Alerts > b.Alerts
			}
			return a.Team+"\x00"+a.Service+"\x00"+a.AlertName < b.Team+"\x00"+b.Service+"\x00"+b.AlertName
		})
		if len(ws) > cfg.NoisiestAlerts {
			ws = ws[:cfg.NoisiestAlerts]
		}
		out = append(out, ws...)
	}
	return out
}

// alertsPerIncident sums the alert rows per (window, team, service) and
// divides by the incidents triggered in the same window, team and service.
func alertsPerIncident(ctx context.Context, db *sql.DB, cfg Config, futureIncidents bool, alerts []AlertStats) ([]AlertsPerIncident, error) {
	type key struct{ window, team, service string }
	m := map[key]*AlertsPerIncident{}
	get := func(k key) *AlertsPerIncident {
		if r, ok := m[k]; ok {
			return r
		}
		r := &AlertsPerIncident{Window: k.window, Team: k.team, Service: k.service}
		m[k] = r
		return r
	}
	for _, r := range alerts {
		get(key{r.Window, r.Team, r.Service}).Alerts += r.Alerts
	}
	a := &queryArgs{}
	win, lo := winValues(cfg, a)
	now, from := a.ts(cfg.Now), a.ts(lo)
	q := `WITH ` + win + `inc AS (
	SELECT coalesce(team, '') AS team, coalesce(service, '') AS service, triggered_at
	FROM ` + incidentsAsOf(now, futureIncidents) + `
	WHERE triggered_at > ` + from + ` AND triggered_at <= ` + now + `
)
SELECT w.window_name, i.team, i.service, count(*)
FROM inc i JOIN win w ON i.triggered_at > w.win_start
GROUP BY ALL`
	rows, err := db.QueryContext(ctx, q, a.vals...)
	if err != nil {
		return nil, fmt.Errorf("alerts per incident: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var n int64
		if err := rows.Scan(&k.window, &k.team, &k.service, &n); err != nil {
			return nil, fmt.Errorf("alerts per incident: scan: %w", err)
		}
		get(k).Incidents = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alerts per incident: %w", err)
	}
	order := map[string]int{}
	for i, w := range cfg.Windows {
		order[w.Name] = i
	}
	out := make([]AlertsPerIncident, 0, len(m))
	for _, r := range m {
		if r.Incidents > 0 {
			v := float64(r.Alerts) / float64(r.Incidents)
			r.Ratio = &v
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if order[a.Window] != order[b.Window] {
			return order[a.Window] < order[b.Window]
		}
		if a.Team != b.Team {
			return a.Team < b.Team
		}
		return a.Service < b.Service
	})
	return out, nil
}
