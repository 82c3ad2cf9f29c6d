package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The on-call handover digest (exporters/handover) reads two lists beside
// the snapshot: the incidents still open when the shift ends, and who is on
// call at that instant or next. Both are defined here, as SQL over the
// store, like every other figure.

// OpenIncident is one incident open at Now (triggered at or before it, not
// resolved by it), whenever it was triggered: what the next shift inherits.
type OpenIncident struct {
	Team           string    `json:"team"`
	IncidentID     string    `json:"incident_id"`
	Service        string    `json:"service"`
	Severity       string    `json:"severity"`
	TriggeredAt    time.Time `json:"triggered_at"`
	AcknowledgedBy string    `json:"acknowledged_by"` // "" when nobody acknowledged it
	AgeSeconds     float64   `json:"age_seconds"`     // Now − TriggeredAt
}

// OpenIncidents lists the incidents open at now, oldest first; team ""
// lists every team's. Later events (a report for a past instant) are
// ignored, as for OldestOpen, whose counts these rows add up to.
func OpenIncidents(ctx context.Context, db *sql.DB, now time.Time, team string) ([]OpenIncident, error) {
	future, err := hasEventsAfter(ctx, db, "incident", now)
	if err != nil {
		return nil, err
	}
	q, args := openIncidentsQuery(now, team, future)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	defer rows.Close()
	out := []OpenIncident{}
	for rows.Next() {
		var r OpenIncident
		if err := rows.Scan(&r.Team, &r.IncidentID, &r.Service, &r.Severity, &r.TriggeredAt, &r.AcknowledgedBy, &r.AgeSeconds); err != nil {
			return nil, fmt.Errorf("open incidents: scan: %w", err)
		}
		r.TriggeredAt = r.TriggeredAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	return out, nil
}

// openIncidentsQuery: the incidents open at now, of team ("" for all).
func openIncidentsQuery(now time.Time, team string, future bool) (string, []any) {
	a := &queryArgs{}
	n := a.ts(now)
	q := `SELECT coalesce(team, ''), incident_id, coalesce(service, ''), coalesce(severity, ''), triggered_at,
	coalesce(acknowledged_by, ''), (epoch_ms(` + n + `) - epoch_ms(triggered_at)) / 1000.0
FROM ` + incidentsAsOf(n, future) + `
WHERE triggered_at <= ` + n + ` AND resolved_at IS NULL`
	if team != "" {
		q += ` AND coalesce(team, '') = ` + a.str(team)
	}
	q += ` ORDER BY triggered_at, incident_id`
	return q, a.vals
}

// OnCallShift is a shift from the shift events: either on call at Now (Now
// falls in it) or the next to start after Now on its schedule.
type OnCallShift struct {
	Team      string    `json:"team"`
	Schedule  string    `json:"schedule"` // "" when the events name none
	Responder string    `json:"responder"`
	Start     time.Time `json:"start"`
	// End is the shift's next event after Now (its shift.ended, or the
	// responder's next shift.started on the schedule), nil when the store
	// holds none yet.
	End *time.Time `json:"end"`
	// Current is true for a shift running at Now, false for the next one.
	Current bool `json:"current"`
}

// OnCallAt reads, from the shift events, who is on call at cfg.Now per
// team and schedule, and who starts next after it (only when the store
// holds future shifts, as schedule imports do). A shift runs from a
// shift.started to the next shift event of the same responder and
// schedule, as for on-call time (oncall_sql.go): at a handover instant the
// end sorts before the start, so the incoming responder is on call and the
// outgoing one is not. A responder's team is the event's, else the
// roster's. Rows are ordered by team, schedule, current first, start and
// responder.
func OnCallAt(ctx context.Context, db *sql.DB, cfg Config, team string) ([]OnCallShift, error) {
	q, args := onCallAtQuery(cfg, team)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("on call: %w", err)
	}
	defer rows.Close()
	out := []OnCallShift{}
	for rows.Next() {
		var r OnCallShift
		var end sql.NullTime
		if err := rows.Scan(&r.Team, &r.Schedule, &r.Responder, &r.Start, &end, &r.Current); err != nil {
			return nil, fmt.Errorf("on call: scan: %w", err)
		}
		r.Start = r.Start.UTC()
		if end.Valid {
			t := end.Time.UTC()
			r.End = &t
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("on call: %w", err)
	}
	return out, nil
}

// onCallAtQuery: who is on call at cfg.Now and next, of team ("" for all).
func onCallAtQuery(cfg Config, team string) (string, []any) {
	a := &queryArgs{}
	now := a.ts(cfg.Now)
	q := `WITH ` + rosterCTEs(cfg, a) + `
sev AS (
	SELECT e.responder, coalesce(e.schedule, '') AS schedule, e.type, e.time, e.id,
		coalesce(e.team, rr.r_team, '') AS team
	FROM events e LEFT JOIN rresp rr ON rr.responder = e.responder
	WHERE e.responder IS NOT NULL AND e.type IN ('shift.started', 'shift.ended')
),
ranked AS (
	SELECT *, row_number() OVER (PARTITION BY responder, schedule ORDER BY time DESC, type DESC, id DESC) AS rn
	FROM sev WHERE time <= ` + now + `
),
cur AS (
	SELECT r.team, r.schedule, r.responder, r.time AS s,
		(SELECT min(x.time) FROM sev x WHERE x.responder = r.responder AND x.schedule = r.schedule AND x.time > ` + now + `) AS e,
		true AS current
	FROM ranked r WHERE r.rn = 1 AND r.type = 'shift.started'
),
upcoming AS (
	SELECT team, schedule, responder, time AS s, id,
		row_number() OVER (PARTITION BY team, schedule ORDER BY time, responder, id) AS rn
	FROM sev WHERE type = 'shift.started' AND time > ` + now + `
),
nxt AS (
	SELECT u.team, u.schedule, u.responder, u.s,
		(SELECT min(x.time) FROM sev x WHERE x.responder = u.responder AND x.schedule = u.schedule AND x.time > u.s) AS e,
		false AS current
	FROM upcoming u WHERE u.rn = 1
)
SELECT team, schedule, responder, s, e, current FROM (SELECT * FROM cur UNION ALL SELECT * FROM nxt)`
	if team != "" {
		q += ` WHERE team = ` + a.str(team)
	}
	q += ` ORDER BY team, schedule, current DESC, s, responder`
	return q, a.vals
}
