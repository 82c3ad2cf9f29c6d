package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// MTTx and incident counts (metrics.md, "MTTx"), from the incidents table as
// of cfg.Now. An incident belongs to a window by triggered_at in
// (Now − window, Now]; incidents with no stored trigger belong to none.
// Missing team, service or severity are reported as "" (the Prometheus
// exporter may label them "unknown").

// IncidentStats is one row of the machine format's "incidents": the MTTx and
// counts of the incidents triggered in one window for one team, service and
// severity.
type IncidentStats struct {
	Window   string `json:"window"`
	Team     string `json:"team"`
	Service  string `json:"service"`
	Severity string `json:"severity"`

	Count            int64 `json:"count"`
	Open             int64 `json:"open"`          // not resolved at Now
	Escalated        int64 `json:"escalated"`     // escalated at least once
	Reassigned       int64 `json:"reassigned"`    // reassigned at least once
	AutoResolved     int64 `json:"auto_resolved"` // resolved with no ack
	Major            int64 `json:"major"`         // severity in cfg.MajorSeverities
	MissedByAlerting int64 `json:"missed_by_alerting"`

	Detect   Stat `json:"detect_seconds"`
	Ack      Stat `json:"ack_seconds"`
	Mitigate Stat `json:"mitigate_seconds"`
	Resolve  Stat `json:"resolve_seconds"`
}

// IncidentTotals is all-time (triggered up to Now) per team, service and
// severity: the counter pagerlens_incidents_total, the open gauge and the
// duration histograms.
type IncidentTotals struct {
	Team     string `json:"team"`
	Service  string `json:"service"`
	Severity string `json:"severity"`

	Incidents int64 `json:"incidents"`
	Open      int64 `json:"open"` // not resolved at Now, whenever triggered

	AckDuration     Histogram `json:"ack_duration_seconds"`
	ResolveDuration Histogram `json:"resolve_duration_seconds"`
}

// OldestOpen is the open incidents of one team at Now and the age of the
// oldest of them.
type OldestOpen struct {
	Team       string  `json:"team"`
	Open       int64   `json:"open"`
	AgeSeconds float64 `json:"age_seconds"`
}

// Histogram is a cumulative (Prometheus-style) histogram of durations in
// seconds: Buckets[i].Count samples were ≤ Buckets[i].LE; Count and Sum
// cover all samples (the +Inf bucket is Count).
type Histogram struct {
	Buckets []Bucket `json:"buckets"`
	Count   int64    `json:"count"`
	Sum     float64  `json:"sum"`
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	LE    float64 `json:"le"`
	Count int64   `json:"count"`
}

// DurationBuckets are the upper bounds of the incident duration histograms:
// 30 s … 30 d, wide enough for incidents (metrics.md, "Rules").
var DurationBuckets = []time.Duration{
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour,
}

func computeIncidents(ctx context.Context, db *sql.DB, cfg Config, snap *Snapshot) error {
	future, err := hasEventsAfter(ctx, db, "incident", cfg.Now)
	if err != nil {
		return err
	}
	if snap.Incidents, err = incidentStats(ctx, db, cfg, future); err != nil {
		return err
	}
	if snap.IncidentTotals, err = incidentTotals(ctx, db, cfg, future); err != nil {
		return err
	}
	if snap.OldestOpen, err = oldestOpen(ctx, db, cfg, future); err != nil {
		return err
	}
	return nil
}

// Durations in milliseconds, as epoch_ms(a) − epoch_ms(b): integer
// arithmetic, many times faster than epoch(a − b) in quantile queries. An
// ack or resolve stamped before the trigger (clocks of two systems) is
// clamped to 0 rather than dragging a mean below zero.
const (
	detectMS   = `CASE WHEN started_at IS NOT NULL THEN epoch_ms(triggered_at) - epoch_ms(started_at) END`
	ackMS      = `CASE WHEN acknowledged_at IS NOT NULL THEN greatest(0, epoch_ms(acknowledged_at) - epoch_ms(triggered_at)) END`
	mitigateMS = `CASE WHEN mitigated_at IS NOT NULL THEN greatest(0, epoch_ms(mitigated_at) - epoch_ms(triggered_at)) END`
	resolveMS  = `CASE WHEN resolved_at IS NOT NULL THEN greatest(0, epoch_ms(resolved_at) - epoch_ms(triggered_at)) END`
)

// statSQL aggregates a column of milliseconds into the seven columns that
// statScan reads, in seconds. quantile_cont interpolates linearly, so one
// sample is its own median; no samples give NULLs (JSON null), never 0.
func statSQL(ms string) string {
	return fmt.Sprintf(`count(%[1]s), coalesce(sum(%[1]s), 0) / 1000.0, avg(%[1]s) / 1000.0,
		quantile_cont(%[1]s, [0.5, 0.9, 0.95, 0.99])[1] / 1000.0, quantile_cont(%[1]s, [0.5, 0.9, 0.95, 0.99])[2] / 1000.0,
		quantile_cont(%[1]s, [0.5, 0.9, 0.95, 0.99])[3] / 1000.0, quantile_cont(%[1]s, [0.5, 0.9, 0.95, 0.99])[4] / 1000.0`, ms)
}

// statScan receives the columns of statSQL.
type statScan struct {
	count                    int64
	sum                      float64
	mean, p50, p90, p95, p99 sql.NullFloat64
}

func (s *statScan) dests() []any {
	return []any{&s.count, &s.sum, &s.mean, &s.p50, &s.p90, &s.p95, &s.p99}
}

func (s *statScan) stat() Stat {
	f := func(n sql.NullFloat64) *float64 {
		if !n.Valid || s.count == 0 {
			return nil
		}
		v := n.Float64
		return &v
	}
	return Stat{Count: s.count, Sum: s.sum, Mean: f(s.mean), P50: f(s.p50), P90: f(s.p90), P95: f(s.p95), P99: f(s.p99)}
}

func incidentStats(ctx context.Context, db *sql.DB, cfg Config, future bool) ([]IncidentStats, error) {
	out := []IncidentStats{}
	if len(cfg.Windows) == 0 {
		return out, nil
	}
	q, args := incidentStatsQuery(cfg, future)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("mttx: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r IncidentStats
		var d, k, m, v statScan
		dst := []any{&r.Window, &r.Team, &r.Service, &r.Severity, &r.Count, &r.Open, &r.Escalated,
			&r.Reassigned, &r.AutoResolved, &r.Major, &r.MissedByAlerting}
		dst = append(dst, d.dests()...)
		dst = append(dst, k.dests()...)
		dst = append(dst, m.dests()...)
		dst = append(dst, v.dests()...)
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("mttx: scan: %w", err)
		}
		r.Detect, r.Ack, r.Mitigate, r.Resolve = d.stat(), k.stat(), m.stat(), v.stat()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mttx: %w", err)
	}
	return out, nil
}

// incidentStatsQuery is the MTTx query: one row per window, team, service
// and severity with the incidents triggered in the window.
func incidentStatsQuery(cfg Config, future bool) (string, []any) {
	a := &queryArgs{}
	win, lo := winValues(cfg, a)
	now, from := a.ts(cfg.Now), a.ts(lo)
	major := a.strList(cfg.MajorSeverities)
	q := `WITH ` + win + `inc AS (
	SELECT * FROM ` + incidentsAsOf(now, future) + `
	WHERE triggered_at > ` + from + ` AND triggered_at <= ` + now + `
),
s AS (
	SELECT w.window_idx, w.window_name,
		coalesce(i.team, '') AS team, coalesce(i.service, '') AS service, coalesce(i.severity, '') AS severity,
		i.resolved_at IS NULL AS is_open,
		i.escalations > 0 AS escalated, i.reassignments > 0 AS reassigned,
		i.auto_resolved, i.severity IN (` + major + `) AS major,
		i.detected_by IN ('human', 'customer') AS missed,
		` + detectMS + ` AS detect_ms,
		` + ackMS + ` AS ack_ms,
		` + mitigateMS + ` AS mitigate_ms,
		` + resolveMS + ` AS resolve_ms
	FROM inc i JOIN win w ON i.triggered_at > w.win_start
)
SELECT window_name, team, service, severity,
	count(*), count(*) FILTER (WHERE is_open), count(*) FILTER (WHERE escalated),
	count(*) FILTER (WHERE reassigned), count(*) FILTER (WHERE auto_resolved),
	count(*) FILTER (WHERE major), count(*) FILTER (WHERE missed),
	` + statSQL("detect_ms") + `,
	` + statSQL("ack_ms") + `,
	` + statSQL("mitigate_ms") + `,
	` + statSQL("resolve_ms") + `
FROM s
GROUP BY window_idx, window_name, team, service, severity
ORDER BY window_idx, team, service, severity`
	return q, a.vals
}

// histogramSQL is the cumulative bucket counts, count and sum (seconds) of a
// column of milliseconds.
func histogramSQL(ms string) string {
	cols := make([]string, 0, len(DurationBuckets)+2)
	for _, b := range DurationBuckets {
		cols = append(cols, fmt.Sprintf("count(*) FILTER (WHERE %s <= %d)", ms, b.Milliseconds()))
	}
	cols = append(cols, fmt.Sprintf("count(%s)", ms), fmt.Sprintf("coalesce(sum(%s), 0) / 1000.0", ms))
	return strings.Join(cols, ", ")
}

type histogramScan struct {
	buckets []int64
	count   int64
	sum     float64
}

func (h *histogramScan) dests() []any {
	h.buckets = make([]int64, len(DurationBuckets))
	d := make([]any, 0, len(DurationBuckets)+2)
	for i := range h.buckets {
		d = append(d, &h.buckets[i])
	}
	return append(d, &h.count, &h.sum)
}

func (h *histogramScan) histogram() Histogram {
	out := Histogram{Buckets: make([]Bucket, len(DurationBuckets)), Count: h.count, Sum: h.sum}
	for i, b := range DurationBuckets {
		out.Buckets[i] = Bucket{LE: b.Seconds(), Count: h.buckets[i]}
	}
	return out
}

func incidentTotals(ctx context.Context, db *sql.DB, cfg Config, future bool) ([]IncidentTotals, error) {
	q, args := incidentTotalsQuery(cfg, future)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("incident totals: %w", err)
	}
	defer rows.Close()
	out := []IncidentTotals{}
	for rows.Next() {
		var r IncidentTotals
		var ack, res histogramScan
		dst := []any{&r.Team, &r.Service, &r.Severity, &r.Incidents, &r.Open}
		dst = append(dst, ack.dests()...)
		dst = append(dst, res.dests()...)
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("incident totals: scan: %w", err)
		}
		r.AckDuration, r.ResolveDuration = ack.histogram(), res.histogram()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident totals: %w", err)
	}
	return out, nil
}

// incidentTotalsQuery: all incidents triggered up to now, per team, service
// and severity: count, open, and the ack and resolve histograms.
func incidentTotalsQuery(cfg Config, future bool) (string, []any) {
	a := &queryArgs{}
	now := a.ts(cfg.Now)
	q := `WITH s AS (
	SELECT coalesce(team, '') AS team, coalesce(service, '') AS service, coalesce(severity, '') AS severity,
		resolved_at IS NULL AS is_open,
		` + ackMS + ` AS ack_ms,
		` + resolveMS + ` AS resolve_ms
	FROM ` + incidentsAsOf(now, future) + `
	WHERE triggered_at <= ` + now + `
)
SELECT team, service, severity, count(*), count(*) FILTER (WHERE is_open),
	` + histogramSQL("ack_ms") + `,
	` + histogramSQL("resolve_ms") + `
FROM s
GROUP BY team, service, severity
ORDER BY team, service, severity`
	return q, a.vals
}

func oldestOpen(ctx context.Context, db *sql.DB, cfg Config, future bool) ([]OldestOpen, error) {
	q, args := oldestOpenQuery(cfg, future)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("oldest open incident: %w", err)
	}
	defer rows.Close()
	out := []OldestOpen{}
	for rows.Next() {
		var r OldestOpen
		if err := rows.Scan(&r.Team, &r.Open, &r.AgeSeconds); err != nil {
			return nil, fmt.Errorf("oldest open incident: scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("oldest open incident: %w", err)
	}
	return out, nil
}

// oldestOpenQuery: per team, the incidents open at now and the oldest's age.
func oldestOpenQuery(cfg Config, future bool) (string, []any) {
	a := &queryArgs{}
	now := a.ts(cfg.Now)
	q := `SELECT coalesce(team, '') AS team, count(*),
	(epoch_ms(` + now + `) - epoch_ms(min(triggered_at))) / 1000.0
FROM ` + incidentsAsOf(now, future) + `
WHERE triggered_at <= ` + now + ` AND resolved_at IS NULL
GROUP BY 1 ORDER BY 1`
	return q, a.vals
}
