package export

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
)

// Column is one flat column of an export and its DuckDB type (what the
// Parquet file carries).
type Column struct {
	Name string
	Type string // VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP
}

// Table is the flat rows of one export. A value is a string, int64,
// float64, bool, time.Time or nil (no value: an empty CSV field, a JSON
// null, a Parquet NULL).
type Table struct {
	Columns []Column
	Rows    [][]any
}

var statSuffixes = []string{"count", "mean", "p50", "p90", "p95", "p99"}

func statColumns(prefix string) []Column {
	out := make([]Column, len(statSuffixes))
	for i, s := range statSuffixes {
		t := "DOUBLE"
		if s == "count" {
			t = "BIGINT"
		}
		out[i] = Column{prefix + "_" + s, t}
	}
	return out
}

func statValues(s analytics.Stat) []any {
	return []any{s.Count, fptr(s.Mean), fptr(s.P50), fptr(s.P90), fptr(s.P95), fptr(s.P99)}
}

func fptr(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func cols(names ...string) []Column {
	out := make([]Column, 0, len(names))
	for _, n := range names {
		out = append(out, Column{n, "BIGINT"})
	}
	return out
}

func strCols(names ...string) []Column {
	out := cols(names...)
	for i := range out {
		out[i].Type = "VARCHAR"
	}
	return out
}

// MTTxTable flattens the snapshot's incidents rows of window w. Durations
// are in seconds, as in the machine format.
func MTTxTable(s *analytics.Snapshot, w string) Table {
	t := Table{Columns: concat(strCols("window", "team", "service", "severity"),
		cols("count", "open", "escalated", "reassigned", "auto_resolved", "major", "missed_by_alerting"),
		statColumns("detect"), statColumns("ack"), statColumns("mitigate"), statColumns("resolve"))}
	for _, r := range s.Incidents {
		if r.Window != w {
			continue
		}
		row := []any{r.Window, r.Team, r.Service, r.Severity,
			r.Count, r.Open, r.Escalated, r.Reassigned, r.AutoResolved, r.Major, r.MissedByAlerting}
		row = append(row, statValues(r.Detect)...)
		row = append(row, statValues(r.Ack)...)
		row = append(row, statValues(r.Mitigate)...)
		row = append(row, statValues(r.Resolve)...)
		t.Rows = append(t.Rows, row)
	}
	return t
}

// AlertQualityTable flattens the snapshot's alerts rows of window w.
func AlertQualityTable(s *analytics.Snapshot, w string) Table {
	t := Table{Columns: concat(strCols("window", "team", "service", "alertname"),
		cols("alerts", "acknowledged", "actionable", "transient", "auto_resolved", "off_hours", "sleep_hours", "flapping_keys"),
		statColumns("reset"))}
	for _, r := range s.Alerts {
		if r.Window != w {
			continue
		}
		row := []any{r.Window, r.Team, r.Service, r.AlertName,
			r.Alerts, r.Acknowledged, r.Actionable, r.Transient, r.AutoResolved, r.OffHours, r.SleepHours, r.FlappingKeys}
		t.Rows = append(t.Rows, append(row, statValues(r.Reset)...))
	}
	return t
}

// OnCallLoadTable flattens the snapshot's responders rows of window w.
func OnCallLoadTable(s *analytics.Snapshot, w string) Table {
	t := Table{Columns: concat(strCols("window", "team", "responder", "timezone", "timezone_source"),
		cols("business", "off_hours", "sleep", "interruptions_total", "nights_interrupted", "incidents_acknowledged"),
		[]Column{{"engaged_seconds", "DOUBLE"}, {"oncall_seconds", "DOUBLE"}, {"interruptions_per_12h", "DOUBLE"},
			{"shifts_over_limit", "BIGINT"}, {"oncall_share", "DOUBLE"}, {"oncall_share_flagged", "BOOLEAN"}, {"fatigue_score", "DOUBLE"}},
		// Added last, so that earlier exports keep their column positions.
		cols("business_outside_shifts", "off_hours_outside_shifts", "sleep_outside_shifts"))}
	for _, r := range s.Responders {
		if r.Window != w {
			continue
		}
		t.Rows = append(t.Rows, []any{r.Window, r.Team, r.Responder, r.Timezone, r.TimezoneSource,
			r.Interruptions.Business, r.Interruptions.OffHours, r.Interruptions.Sleep, r.InterruptionsTotal,
			r.NightsInterrupted, r.IncidentsAcknowledged, r.EngagedSeconds, r.OnCallSeconds, fptr(r.InterruptionsPer12h),
			r.ShiftsOverLimit, r.OnCallShare, r.OnCallShareFlagged, r.FatigueScore,
			r.InterruptionsOutsideShifts.Business, r.InterruptionsOutsideShifts.OffHours, r.InterruptionsOutsideShifts.Sleep})
	}
	return t
}

// incidentColumns are the figures of the incident timeline table (its
// mergeable state columns are internal and left out).
var incidentColumns = []Column{
	{"incident_id", "VARCHAR"}, {"team", "VARCHAR"}, {"service", "VARCHAR"}, {"severity", "VARCHAR"},
	{"triggered_at", "TIMESTAMP"}, {"started_at", "TIMESTAMP"}, {"acknowledged_at", "TIMESTAMP"},
	{"acknowledged_by", "VARCHAR"}, {"mitigated_at", "TIMESTAMP"}, {"resolved_at", "TIMESTAMP"},
	{"escalations", "BIGINT"}, {"reassignments", "BIGINT"}, {"detected_by", "VARCHAR"},
	{"auto_resolved", "BOOLEAN"}, {"alert_key", "VARCHAR"},
}

// IncidentsTable reads the incidents triggered in (now − window, now] from
// the store's incident timeline, in trigger order. The table holds each
// incident as it stands now: an export with a past --now shows later
// acks and resolves of those incidents too.
func IncidentsTable(ctx context.Context, db *sql.DB, now time.Time, window time.Duration) (Table, error) {
	t := Table{Columns: incidentColumns}
	sel := ""
	for i, c := range incidentColumns {
		if i > 0 {
			sel += ", "
		}
		sel += c.Name
	}
	rows, err := db.QueryContext(ctx, `SELECT `+sel+` FROM incidents
WHERE triggered_at > CAST($1 AS TIMESTAMP) AND triggered_at <= CAST($2 AS TIMESTAMP)
ORDER BY triggered_at, incident_id`, now.UTC().Add(-window), now.UTC())
	if err != nil {
		return t, fmt.Errorf("incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id                                  string
			team, service, severity, ackBy, det sql.NullString
			alertKey                            sql.NullString
			trig, start, ack, mit, res          sql.NullTime
			esc, reas                           sql.NullInt64
			auto                                sql.NullBool
		)
		if err := rows.Scan(&id, &team, &service, &severity, &trig, &start, &ack, &ackBy, &mit, &res,
			&esc, &reas, &det, &auto, &alertKey); err != nil {
			return t, fmt.Errorf("incidents: scan: %w", err)
		}
		t.Rows = append(t.Rows, []any{id, nstr(team), nstr(service), nstr(severity), ntime(trig), ntime(start),
			ntime(ack), nstr(ackBy), ntime(mit), ntime(res), nint(esc), nint(reas), nstr(det), nbool(auto), nstr(alertKey)})
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("incidents: %w", err)
	}
	return t, nil
}

func nstr(v sql.NullString) any {
	if !v.Valid {
		return nil
	}
	return v.String
}

func ntime(v sql.NullTime) any {
	if !v.Valid {
		return nil
	}
	return v.Time.UTC()
}

func nint(v sql.NullInt64) any {
	if !v.Valid {
		return nil
	}
	return v.Int64
}

func nbool(v sql.NullBool) any {
	if !v.Valid {
		return nil
	}
	return v.Bool
}

func concat(parts ...[]Column) []Column {
	var out []Column
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
