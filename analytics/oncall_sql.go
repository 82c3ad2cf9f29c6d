package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// The SQL of on-call load is built from a few common table expressions that
// the snapshot query and the heat map share, so that an interruption means
// the same thing in both. docs/metrics.md ("On-call load and pager fatigue")
// prints these statements.

// ocWeekdayMask turns working days into a bit set indexed by Go's weekday
// (Sunday = bit 0). SQL tests bit (isodow % 7), since ISO Sunday is 7.
// Alert quality's ahours uses it too: one encoding of working days.
func ocWeekdayMask(days []time.Weekday) int {
	m := 0
	for _, d := range days {
		m |= 1 << (int(d) % 7)
	}
	return m
}

// ocNullIfEmpty maps "" to SQL NULL, as the store does for event fields.
func ocNullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rosterCTEs returns the rresp(responder, r_team, r_tz) and
// rteam(team, t_tz, bs, be, ss, se, wmask) expressions. A team without
// a roster entry takes cfg.Hours: the default columns are applied with
// coalesce where rteam is joined (see hoursCols).
func rosterCTEs(cfg Config, a *queryArgs) string {
	var resp, team []string
	if r := cfg.Roster; r != nil {
		seen := map[string]bool{}
		for _, p := range r.Responders {
			if p.Name == "" || seen[p.Name] {
				continue // LoadRoster rejects these; a Roster built in code may not have
			}
			seen[p.Name] = true
			resp = append(resp, fmt.Sprintf("(CAST(%s AS VARCHAR), CAST(%s AS VARCHAR), CAST(%s AS VARCHAR))",
				a.add(p.Name), a.add(ocNullIfEmpty(p.Team)), a.add(ocNullIfEmpty(p.Timezone))))
		}
		seen = map[string]bool{}
		for _, t := range r.Teams {
			if t.Name == "" || seen[t.Name] {
				continue
			}
			seen[t.Name] = true
			h := cfg.Hours
			if t.Hours != nil {
				h = *t.Hours
			}
			team = append(team, fmt.Sprintf("(CAST(%s AS VARCHAR), CAST(%s AS VARCHAR), %d, %d, %d, %d, %d)",
				a.add(t.Name), a.add(ocNullIfEmpty(t.Timezone)),
				h.BusinessStart, h.BusinessEnd, h.SleepStart, h.SleepEnd, ocWeekdayMask(h.WorkingDays)))
		}
	}
	var b strings.Builder
	if len(resp) == 0 {
		b.WriteString("rresp AS (SELECT CAST(NULL AS VARCHAR) AS responder, CAST(NULL AS VARCHAR) AS r_team, CAST(NULL AS VARCHAR) AS r_tz WHERE false),\n")
	} else {
		fmt.Fprintf(&b, "rresp AS (SELECT * FROM (VALUES %s) v(responder, r_team, r_tz)),\n", strings.Join(resp, ", "))
	}
	if len(team) == 0 {
		b.WriteString("rteam AS (SELECT CAST(NULL AS VARCHAR) AS team, CAST(NULL AS VARCHAR) AS t_tz, 0 AS bs, 0 AS be, 0 AS ss, 0 AS se, 0 AS wmask WHERE false),\n")
	} else {
		fmt.Fprintf(&b, "rteam AS (SELECT * FROM (VALUES %s) v(team, t_tz, bs, be, ss, se, wmask)),\n", strings.Join(team, ", "))
	}
	return b.String()
}

// interruptionCTEs defines, after rresp and rteam, the CTEs pages, starts,
// located and interruptions. interruptions has one row per interruption
// whose first page is in (lo, now]: time, responder, team, fold_key, tz,
// tz_source, h (local hour), dow (ISO), d (local date), bucket and night.
//
// Fold rule (chained, from the previous page): a page starts a new
// interruption unless the same responder was paged for the same incident
// (else alert key) at most fold earlier. Pages every 90 s for ten minutes
// are therefore one interruption. Chaining is chosen because whether a page
// starts an interruption then depends only on the page before it, so a
// window needs only the pages from (lo − fold) on; folding from the group's
// first page would need every earlier page, since a group can be arbitrarily
// long.
//
// Only pages on cfg's interruption channels are read (the channel is
// normalised in responder_events, NULL when unknown): a page on another
// channel (e-mail by default) neither starts nor continues an
// interruption, as if it had not been sent.
//
// The pages are read from responders: responder_events, or on a store
// without analytics attached responderEventsFromEvents.
func interruptionCTEs(cfg Config, a *queryArgs, lo time.Time, responders string) string {
	now := a.add(cfg.Now.UTC())
	from := a.add(lo.UTC())
	scanFrom := a.add(lo.UTC().Add(-cfg.InterruptionFold))
	foldMS := cfg.InterruptionFold.Milliseconds()
	var channels []string
	for _, c := range cfg.interruptionChannels() {
		channels = append(channels, "CAST("+a.add(c)+" AS VARCHAR)")
	}
	h := cfg.Hours
	return fmt.Sprintf(`pages AS (
	SELECT e.id, e.time, e.responder, e.fold_key,
		coalesce(e.team, rr.r_team, '') AS team,
		e.responder_tz, rr.r_tz, e.local_hour, e.local_dow, e.local_date,
		lag(e.time) OVER (PARTITION BY e.responder, e.fold_key ORDER BY e.time, e.id) AS prev_time
	FROM (SELECT *, coalesce(incident_id, alert_key, id) AS fold_key FROM %[10]s) e
	LEFT JOIN rresp rr ON rr.responder = e.responder
	WHERE e.type = 'page.notified' AND e.responder IS NOT NULL
		AND coalesce(e.channel, '') IN (%[11]s)
		AND e.time > CAST(%[3]s AS TIMESTAMP) AND e.time <= CAST(%[1]s AS TIMESTAMP)
),
starts AS (
	SELECT p.time, p.responder, p.team, p.fold_key,
		p.local_hour, p.local_dow, p.local_date,
		coalesce(p.responder_tz, p.r_tz, rt.t_tz, 'UTC') AS tz,
		CASE WHEN p.responder_tz IS NOT NULL THEN 'event'
			WHEN p.r_tz IS NOT NULL THEN 'roster'
			WHEN rt.t_tz IS NOT NULL THEN 'team'
			ELSE 'default_utc' END AS tz_source,
		coalesce(rt.bs, %[5]d) AS bs, coalesce(rt.be, %[6]d) AS be,
		coalesce(rt.ss, %[7]d) AS ss, coalesce(rt.se, %[8]d) AS se,
		coalesce(rt.wmask, %[9]d) AS wmask
	FROM pages p LEFT JOIN rteam rt ON rt.team = p.team
	WHERE p.time > CAST(%[2]s AS TIMESTAMP)
		AND (p.prev_time IS NULL OR epoch_ms(p.time) - epoch_ms(p.prev_time) > %[4]d)
),
-- Pages that carry responder_tz use the local hour, weekday and date the
-- store computed at ingest (integer columns: fast); the others, a minority,
-- are converted here with ICU, DST-correct.
located AS (
	SELECT * EXCLUDE (local_hour, local_dow, local_date),
		CAST(local_hour AS INTEGER) AS h, CAST(local_dow AS INTEGER) AS dow, local_date AS d
	FROM starts WHERE local_hour IS NOT NULL
	UNION ALL BY NAME
	SELECT * EXCLUDE (local_hour, local_dow, local_date, lt),
		CAST(hour(lt) AS INTEGER) AS h, CAST(isodow(lt) AS INTEGER) AS dow, CAST(lt AS DATE) AS d
	FROM (SELECT *, timezone(tz, timezone('UTC', time)) AS lt FROM starts WHERE local_hour IS NULL)
),
-- Sleep hours wrap midnight when sleep_start > sleep_end (22..8). Business
-- hours count only on working days (bit isodow %% 7 of wmask). A sleep-hours
-- interruption before sleep_end belongs to the night of the previous date:
-- a night is named by the local date of its evening.
interruptions AS (
	SELECT *,
		CASE WHEN (ss > se AND (h >= ss OR h < se)) OR (ss < se AND h >= ss AND h < se) THEN 'sleep'
			WHEN ((wmask >> (dow %% 7)) & 1) = 1 AND h >= bs AND h < be THEN 'business'
			ELSE 'off_hours' END AS bucket,
		CASE WHEN (ss > se AND (h >= ss OR h < se)) OR (ss < se AND h >= ss AND h < se)
			THEN (CASE WHEN h < se THEN d - 1 ELSE d END) END AS night
	FROM located
)`, now, from, scanFrom, foldMS,
		h.BusinessStart, h.BusinessEnd, h.SleepStart, h.SleepEnd, ocWeekdayMask(h.WorkingDays), responders,
		strings.Join(channels, ", "))
}

// windowCTE returns win(window_idx, window_name, win_start, win_ms) and the
// earliest start.
func windowCTE(cfg Config, windows []Window, a *queryArgs) (string, time.Time) {
	lo := cfg.Now.UTC()
	rows := make([]string, len(windows))
	for i, w := range windows {
		start := cfg.Now.UTC().Add(-w.Duration)
		if start.Before(lo) {
			lo = start
		}
		rows[i] = fmt.Sprintf("(%d, CAST(%s AS VARCHAR), CAST(%s AS TIMESTAMP), CAST(%d AS BIGINT))",
			i, a.add(w.Name), a.add(start), w.Duration.Milliseconds())
	}
	return fmt.Sprintf("win AS (SELECT * FROM (VALUES %s) v(window_idx, window_name, win_start, win_ms)),\n",
		strings.Join(rows, ", ")), lo
}

// ocSource says where the on-call queries read their rows: analytics'
// derived tables (narrow.go, incidents.go), or, on a store without analytics
// attached, events.
type ocSource struct {
	shifts     string // shift_events, or shiftEventsFromEvents
	responders string // responder_events, or responderEventsFromEvents
	// derived: the incidents' closes from incidents (as of now) and the
	// responders' zones from responder_zones; else both from events.
	derived         bool
	futureIncidents bool // incidents hold events after now (see incidentsAsOf)
	futureZones     bool // a responder's latest zone is from an event after now
}

// ocFromEvents reads everything from events.
var ocFromEvents = ocSource{shifts: shiftEventsFromEvents, responders: responderEventsFromEvents}

// ocDerived reads the derived tables, as of a Now with no event after it.
var ocDerived = ocSource{shifts: "shift_events", responders: "responder_events", derived: true}

// onCallSource picks the source for cfg.Now: the derived tables when the
// store has them all.
func onCallSource(ctx context.Context, db *sql.DB, cfg Config) (ocSource, error) {
	for _, t := range []string{"shift_events", "responder_zones", "incidents"} {
		if ok, err := tableExists(ctx, db, t); err != nil {
			return ocSource{}, err
		} else if !ok {
			return ocFromEvents, nil
		}
	}
	if ok, err := responderEventsCurrent(ctx, db); err != nil || !ok {
		return ocFromEvents, err
	}
	src := ocDerived
	var err error
	if src.futureIncidents, err = hasEventsAfter(ctx, db, "incident", cfg.Now); err != nil {
		return ocSource{}, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM responder_zones WHERE struct_extract(latest_tz, 't') > $1`,
		cfg.Now.UTC()).Scan(&n); err != nil {
		return ocSource{}, fmt.Errorf("look for responder zones after now: %w", err)
	}
	src.futureZones = n > 0
	return src, nil
}

// responderEventsCurrent reports whether the store has responder_events
// with every column the queries read: Attach re-creates an older one, but
// a store opened without analytics attached may still hold it.
func responderEventsCurrent(ctx context.Context, db *sql.DB) (bool, error) {
	if ok, err := tableExists(ctx, db, "responder_events"); err != nil || !ok {
		return false, err
	}
	for _, c := range addedColumns["responder_events"] {
		if ok, err := columnExists(ctx, db, "responder_events", c); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// onCallQuery is one row per (window, team, responder) with any activity in
// the window: an interruption, an acknowledgement or on-call time, reading
// the derived tables.
func onCallQuery(cfg Config) (string, []any) { return onCallQueryFrom(cfg, ocDerived) }

// shiftEventsFromEvents is the relation shift_events holds, read from
// events: ResponderLoads uses it on a store without analytics attached.
const shiftEventsFromEvents = `(SELECT id, type, time, responder, team, schedule FROM events
	WHERE responder IS NOT NULL AND type IN ('shift.started', 'shift.ended'))`

// onCallQueryFrom is onCallQuery reading from src.
func onCallQueryFrom(cfg Config, src ocSource) (string, []any) {
	a := &queryArgs{}
	win, lo := windowCTE(cfg, cfg.Windows, a)
	roster := rosterCTEs(cfg, a)
	intr := interruptionCTEs(cfg, a, lo, src.responders)
	now := a.add(cfg.Now.UTC())
	from := a.add(lo)
	w := cfg.FatigueWeights
	q := "WITH " + win + roster + intr + fmt.Sprintf(`,
-- Acknowledgements: per window, the incidents a responder acknowledged in it,
-- each from their first ack in the window.
ackw AS (
	SELECT w.window_name, a.team, a.responder, a.incident_id, min(a.time) AS acked_at
	FROM (SELECT coalesce(e.team, rr.r_team, '') AS team, e.responder, e.incident_id, e.time
		FROM %[8]s e LEFT JOIN rresp rr ON rr.responder = e.responder
		WHERE e.type = 'incident.acknowledged' AND e.responder IS NOT NULL AND e.incident_id IS NOT NULL
			AND e.time > CAST(%[2]s AS TIMESTAMP) AND e.time <= CAST(%[1]s AS TIMESTAMP)) a
	JOIN win w ON a.time > w.win_start
	GROUP BY ALL
),
-- An incident is resolved at its last resolve up to now, unless a later
-- reopen made it open again. Only resolves after the earliest window start
-- can follow an ack in a window.
%[9]s,
apart AS (
	SELECT window_name, team, responder, count(*) AS acked FROM ackw GROUP BY ALL
),
-- Engaged time: a resolved incident engages the responder from their first
-- ack in the window to its resolve. One responder's engagements that
-- overlap (two incidents open at once) are merged, as shifts are below, so
-- that engaged time is wall-clock time and never exceeds the window.
eng AS (
	SELECT a.window_name, a.team, a.responder, a.acked_at AS s, c.resolved_at AS e
	FROM ackw a JOIN closes c USING (incident_id)
	WHERE c.resolved_at >= a.acked_at AND (c.reopened_at IS NULL OR c.reopened_at <= c.resolved_at)
),
eng_prev AS (
	SELECT *, max(e) OVER (PARTITION BY window_name, team, responder ORDER BY s, e
		ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
	FROM eng
),
epart AS (
	SELECT window_name, team, responder, sum(epoch_ms(e) - epoch_ms(s)) AS engaged_ms
	FROM (SELECT window_name, team, responder, min(s) AS s, max(e) AS e
		FROM (SELECT *, sum(CASE WHEN prev_e IS NULL OR s > prev_e THEN 1 ELSE 0 END)
			OVER (PARTITION BY window_name, team, responder ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS grp
			FROM eng_prev)
		GROUP BY window_name, team, responder, grp)
	GROUP BY ALL
),
%[7]s,
-- Interruptions per period, and those outside every shift island of the
-- responder in the team (islands are disjoint, so the join matches at most
-- one): the fatigue score rates those per week of the window, not per week
-- on call.
ipart AS (
	SELECT w.window_name, i.team, i.responder,
		count(*) FILTER (WHERE i.bucket = 'business') AS business,
		count(*) FILTER (WHERE i.bucket = 'off_hours') AS off_hours,
		count(*) FILTER (WHERE i.bucket = 'sleep') AS sleep,
		count(*) FILTER (WHERE i.bucket = 'business' AND s.s IS NULL) AS business_out,
		count(*) FILTER (WHERE i.bucket = 'off_hours' AND s.s IS NULL) AS off_hours_out,
		count(*) FILTER (WHERE i.bucket = 'sleep' AND s.s IS NULL) AS sleep_out,
		count(DISTINCT i.night) AS nights
	FROM interruptions i JOIN win w ON i.time > w.win_start
	LEFT JOIN islands s ON s.team = i.team AND s.responder = i.responder AND i.time >= s.s AND i.time <= s.e
	GROUP BY ALL
),
opart AS (
	SELECT w.window_name, i.team, i.responder,
		sum(epoch_ms(i.e) - epoch_ms(greatest(i.s, w.win_start))) AS oncall_ms
	FROM islands i JOIN win w ON i.e > w.win_start
	GROUP BY ALL
),
-- Shifts over the limit: each island is cut into 12-hour blocks from its
-- start; a block is over the limit when the distinct incidents (fold keys)
-- of the interruptions in it, in the window, exceed the limit.
lpart AS (
	SELECT window_name, team, responder, count(*) AS over_limit
	FROM (SELECT w.window_name, i.team, i.responder, s.s,
			(epoch_ms(i.time) - epoch_ms(s.s)) // 43200000 AS block,
			count(DISTINCT i.fold_key) AS incidents
		FROM interruptions i
		JOIN islands s ON s.team = i.team AND s.responder = i.responder AND i.time >= s.s AND i.time <= s.e
		JOIN win w ON i.time > w.win_start
		GROUP BY ALL)
	WHERE incidents > %[3]d
	GROUP BY ALL
),
-- The zone a responder row reports: that of their latest event (since the
-- earliest window start) carrying responder_tz, else the roster's, else
-- their team's, else UTC.
%[10]s,
parts AS (
	SELECT * FROM ipart UNION ALL BY NAME SELECT * FROM apart UNION ALL BY NAME SELECT * FROM epart
	UNION ALL BY NAME SELECT * FROM opart UNION ALL BY NAME SELECT * FROM lpart
),
totals AS (
	SELECT w.window_idx, w.window_name, w.win_ms, p.team, p.responder,
		coalesce(sum(p.business), 0) AS business,
		coalesce(sum(p.off_hours), 0) AS off_hours,
		coalesce(sum(p.sleep), 0) AS sleep,
		coalesce(sum(p.business_out), 0) AS business_out,
		coalesce(sum(p.off_hours_out), 0) AS off_hours_out,
		coalesce(sum(p.sleep_out), 0) AS sleep_out,
		coalesce(sum(p.nights), 0) AS nights,
		coalesce(sum(p.acked), 0) AS acked,
		coalesce(sum(p.engaged_ms), 0) AS engaged_ms,
		coalesce(sum(p.oncall_ms), 0) AS oncall_ms,
		coalesce(sum(p.over_limit), 0) AS over_limit
	FROM parts p JOIN win w USING (window_name)
	GROUP BY ALL
)
SELECT t.window_name, t.team, t.responder,
	coalesce(lt.e_tz, rr.r_tz, rt.t_tz, 'UTC') AS tz,
	CASE WHEN lt.e_tz IS NOT NULL THEN 'event' WHEN rr.r_tz IS NOT NULL THEN 'roster'
		WHEN rt.t_tz IS NOT NULL THEN 'team' ELSE 'default_utc' END AS tz_source,
	t.business, t.off_hours, t.sleep, t.business_out, t.off_hours_out, t.sleep_out, t.nights, t.acked,
	t.engaged_ms / 1000.0 AS engaged_seconds,
	t.oncall_ms / 1000.0 AS oncall_seconds,
	CASE WHEN t.oncall_ms > 0
		THEN (t.business + t.off_hours + t.sleep) / (t.oncall_ms / 43200000.0) END AS per_12h,
	t.over_limit,
	t.oncall_ms / CAST(t.win_ms AS DOUBLE) AS oncall_share,
	-- fatigue (FatigueScore): weighted interruptions inside shifts per week on
	-- call plus those outside every shift per week of the window, never per
	-- less than a week
	(%[4]v * (t.business - t.business_out) + %[5]v * (t.off_hours - t.off_hours_out) + %[6]v * (t.sleep - t.sleep_out))
		/ (greatest(t.oncall_ms, 604800000) / 604800000.0)
	+ (%[4]v * t.business_out + %[5]v * t.off_hours_out + %[6]v * t.sleep_out)
		/ (greatest(t.win_ms, 604800000) / 604800000.0) AS fatigue
FROM totals t
LEFT JOIN lasttz lt ON lt.responder = t.responder
LEFT JOIN rresp rr ON rr.responder = t.responder
LEFT JOIN rteam rt ON rt.team = t.team
ORDER BY t.window_idx, t.team, t.responder`,
		now, from, cfg.ShiftIncidentLimit, ocFloat(w.Business), ocFloat(w.OffHours), ocFloat(w.Sleep),
		shiftIslandCTEs(src.shifts, "CAST("+now+" AS TIMESTAMP)", "responder"), src.responders,
		ocClosesCTE(src, "CAST("+now+" AS TIMESTAMP)", "CAST("+from+" AS TIMESTAMP)"),
		ocZonesCTE(src, "CAST("+now+" AS TIMESTAMP)", "CAST("+from+" AS TIMESTAMP)"))
	return q, a.vals
}

// ocClosesCTE is closes(incident_id, resolved_at, reopened_at): the last
// resolve and the last reopen up to now of the incidents in ackw, resolved
// after from. incidents keeps both (last_resolved_at, last_reopened_at);
// an earlier resolve or reopen never changes an engagement that starts with
// an ack after from.
func ocClosesCTE(src ocSource, now, from string) string {
	if src.derived {
		return `closes AS (
	SELECT incident_id, last_resolved_at AS resolved_at, last_reopened_at AS reopened_at
	FROM ` + incidentsAsOf(now, src.futureIncidents) + `
	WHERE last_resolved_at > ` + from + ` AND incident_id IN (SELECT incident_id FROM ackw)
)`
	}
	return `closes AS (
	SELECT incident_id,
		max(time) FILTER (WHERE type = 'incident.resolved') AS resolved_at,
		max(time) FILTER (WHERE type = 'incident.reopened') AS reopened_at
	FROM events
	WHERE type IN ('incident.resolved', 'incident.reopened')
		AND time > ` + from + ` AND time <= ` + now + `
		AND incident_id IN (SELECT incident_id FROM ackw)
	GROUP BY incident_id
)`
}

// ocZonesCTE is lasttz(responder, e_tz): the zone of each responder's latest
// event in (from, now] carrying responder_tz (ties: the greatest zone name).
// responder_zones holds every responder's latest such event; those whose
// latest is after now (a report for a past date) are looked up in events.
func ocZonesCTE(src ocSource, now, from string) string {
	fromEvents := func(filter string) string {
		return `SELECT responder, struct_extract(max({'t': time, 'v': responder_tz}), 'v') AS e_tz
	FROM events
	WHERE responder_tz IS NOT NULL AND responder IS NOT NULL` + filter + `
		AND time > ` + from + ` AND time <= ` + now + `
	GROUP BY responder`
	}
	if !src.derived {
		return "lasttz AS (\n\t" + fromEvents("") + "\n)"
	}
	q := `lasttz AS (
	SELECT responder, struct_extract(latest_tz, 'v') AS e_tz FROM responder_zones
	WHERE struct_extract(latest_tz, 't') > ` + from + ` AND struct_extract(latest_tz, 't') <= ` + now
	if src.futureZones {
		q += `
	UNION ALL
	` + fromEvents(`
		AND responder IN (SELECT responder FROM responder_zones WHERE struct_extract(latest_tz, 't') > `+now+`)`)
	}
	return q + "\n)"
}

// shiftIslandCTEs defines, after rresp, the CTEs shift_ev, shifts,
// shift_prev and islands(team, <by>, s, e): the shifts read from src (a
// relation shaped as shift_events) up to now (an SQL timestamp), merged per
// team and by. On-call time merges per responder and schedule coverage per
// schedule; both build the shifts here so that a shift, and where it ends,
// means the same in the two sections. by is a column name from the code,
// never from input.
func shiftIslandCTEs(src, now, by string) string {
	return `-- Shifts: per responder and schedule, a shift.started runs to the next event
-- of that pair: a shift.ended, or another shift.started (a lost end), or, if
-- none, now (still open). An end sorts before a start at the same instant
-- (handover). A shift.ended with no start before it is ignored: its start is
-- unknown. shift_events holds the shift events that name a responder.
shift_ev AS (
	SELECT e.responder, coalesce(e.schedule, '') AS schedule, e.type, e.time,
		coalesce(e.team, rr.r_team, '') AS team,
		lead(e.time) OVER (PARTITION BY e.responder, coalesce(e.schedule, '')
			ORDER BY e.time, e.type, e.id) AS next_time
	FROM ` + src + ` e LEFT JOIN rresp rr ON rr.responder = e.responder
	WHERE e.time <= ` + now + `
),
shifts AS (
	SELECT team, ` + by + `, time AS s, coalesce(next_time, ` + now + `) AS e
	FROM shift_ev WHERE type = 'shift.started'
),
-- Overlapping or touching shifts merge into islands: per team and responder
-- for on-call time (primary and secondary schedules, back-to-back weeks), so
-- that time on call is never counted twice; per team and schedule for
-- coverage, where a handover at one instant leaves no gap.
shift_prev AS (
	SELECT *, max(e) OVER (PARTITION BY team, ` + by + ` ORDER BY s, e
		ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
	FROM shifts
),
islands AS (
	SELECT team, ` + by + `, min(s) AS s, max(e) AS e
	FROM (SELECT *, sum(CASE WHEN prev_e IS NULL OR s > prev_e THEN 1 ELSE 0 END)
		OVER (PARTITION BY team, ` + by + ` ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
		FROM shift_prev)
	GROUP BY team, ` + by + `, island
)`
}

// ocFloat formats a weight as a DOUBLE literal (never integer division).
func ocFloat(f float64) string { return fmt.Sprintf("CAST(%g AS DOUBLE)", f) }
