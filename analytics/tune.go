package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/store"
)

// Alert tuning, simulated (metrics.md, "Alert tuning"): per team, service
// and alert name (the alert-quality grouping), the alert lives triggered in
// one window are replayed under four changes a team can make to its rules:
//
//   - a for: duration: a life shorter than the candidate would never have
//     fired (suppressed); an actionable one suppressed is missed; every
//     actionable life that still fires is delayed by the candidate;
//   - a keep_firing_for: duration: a life of one alert key that re-triggers
//     within the candidate after the previous life's resolve would have
//     been part of it (merged): one notification saved;
//   - inhibition: alert name A of the same team inhibits B when at least
//     Tune.InhibitShare of B's lives start within Tune.InhibitWithin after
//     a life of A starts;
//   - business-hours deferral: an alert name with at least
//     Tune.DeferMinAlerts alerts none of which was actionable outside
//     business hours could be routed to business hours; the sleep and
//     off-hours interruptions of its alerts are what that would spare.
//
// Everything is counted in one SQL statement over the same per-life rows as
// alert quality (alertLifeCTEs), so "actionable" means the same in both;
// Go only picks the recommendations. docs/metrics.md prints the SQL
// (TestDocsCarryTheTuneSQL).

func init() {
	registerSection("tune", computeTune)
}

// Tuning is the machine format of pagerlens tune (and the snapshot's
// "tuning" section): field names are the and fixed; fields may be
// added.
type Tuning struct {
	Window               string     `json:"window"`
	AsOf                 time.Time  `json:"as_of"`
	MaxAddedDelaySeconds float64    `json:"max_added_delay_seconds"`
	Rules                []TuneRule `json:"rules"`
}

// TuneRule is the simulations of one team, service and alert name.
type TuneRule struct {
	Team       string `json:"team"`
	Service    string `json:"service"`
	AlertName  string `json:"alert_name"`
	Alerts     int64  `json:"alerts"`
	Actionable int64  `json:"actionable"`

	For []ForOutcome `json:"for"`
	// RecommendedForSeconds is the longest candidate that misses no
	// actionable alert and delays by at most MaxAddedDelay; null when no
	// such candidate suppresses anything.
	RecommendedForSeconds *float64 `json:"recommended_for_seconds"`

	KeepFiringFor []KeepFiringOutcome `json:"keep_firing_for"`
	// RecommendedKeepFiringForSeconds is the shortest candidate that merges
	// as many lives as the longest one (waiting longer saves nothing more);
	// null when no candidate merges anything.
	RecommendedKeepFiringForSeconds *float64 `json:"recommended_keep_firing_for_seconds"`

	// InhibitedBy lists the alert names of the team that would have
	// inhibited this one, most suppressed first.
	InhibitedBy []Inhibition `json:"inhibited_by"`
	// DeferToBusinessHours is null when the alert name does not qualify
	// (too few alerts, or one was actionable outside business hours).
	DeferToBusinessHours *Deferral `json:"defer_to_business_hours"`
}

// ForOutcome is one for: candidate.
type ForOutcome struct {
	Seconds          float64 `json:"seconds"`
	Suppressed       int64   `json:"suppressed"`
	ActionableMissed int64   `json:"actionable_missed"`
	// DelayAddedSeconds is the total delay added to the actionable lives
	// that still fire: their count × Seconds.
	DelayAddedSeconds float64 `json:"delay_added_seconds"`
}

// KeepFiringOutcome is one keep_firing_for: candidate.
type KeepFiringOutcome struct {
	Seconds float64 `json:"seconds"`
	// Merged lives: notifications saved.
	Merged int64 `json:"merged"`
}

// Inhibition is one alert name A that would have inhibited the rule's.
type Inhibition struct {
	AlertName string `json:"alert_name"`
	// Share of the rule's lives that started within the inhibition window
	// after a life of AlertName started.
	Share                float64 `json:"share"`
	Suppressed           int64   `json:"suppressed"`
	ActionableSuppressed int64   `json:"actionable_suppressed"`
}

// Deferral is what routing an alert name to business hours would spare.
type Deferral struct {
	// AlertsDeferred are the name's alerts triggered outside business
	// hours (the team's): those routing would have held back.
	AlertsDeferred              int64 `json:"alerts_deferred"`
	SleepInterruptionsSpared    int64 `json:"sleep_interruptions_spared"`
	OffHoursInterruptionsSpared int64 `json:"off_hours_interruptions_spared"`
	// Responders: the same per responder, by name.
	Responders []DeferralResponder `json:"responders"`
}

// DeferralResponder is one responder's share of a Deferral.
type DeferralResponder struct {
	Responder                   string `json:"responder"`
	SleepInterruptionsSpared    int64  `json:"sleep_interruptions_spared"`
	OffHoursInterruptionsSpared int64  `json:"off_hours_interruptions_spared"`
}

// tuneWindow is the window the snapshot's tuning covers: DefaultTuneWindow
// when it is configured, else the longest configured window.
func tuneWindow(cfg Config) (Window, bool) {
	var best Window
	for _, w := range cfg.Windows {
		if w.Name == DefaultTuneWindow.Name {
			return w, true
		}
		if w.Duration > best.Duration {
			best = w
		}
	}
	return best, len(cfg.Windows) > 0
}

func computeTune(ctx context.Context, db *sql.DB, cfg Config, snap *Snapshot) error {
	w, ok := tuneWindow(cfg)
	if !ok {
		return nil
	}
	t, err := ComputeTuning(ctx, db, cfg, w)
	if err != nil {
		return err
	}
	snap.Tuning = t
	return nil
}

// TuneStore computes the tuning simulations for window w ending at cfg.Now from
// st (pagerlens tune).
func TuneStore(ctx context.Context, st *store.Store, cfg Config, w Window) (*Tuning, error) {
	if err := st.SyncDerived(ctx); err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	return ComputeTuning(ctx, st.DB(), cfg, w)
}

// ComputeTuning runs the simulations over the alert lives triggered in w.
func ComputeTuning(ctx context.Context, db *sql.DB, cfg Config, w Window) (*Tuning, error) {
	t := cfg.Tune
	if len(t.For) == 0 && len(t.KeepFiringFor) == 0 && t.MaxAddedDelay == 0 {
		t = DefaultTune() // a Config built in code without Tune
		cfg.Tune = t
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	futureAlerts, err := hasEventsAfter(ctx, db, "alert", cfg.Now)
	if err != nil {
		return nil, err
	}
	futureIncidents, err := hasEventsAfter(ctx, db, "incident", cfg.Now)
	if err != nil {
		return nil, err
	}
	src, err := onCallSource(ctx, db, cfg)
	if err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	q, args := tuneQuery(cfg, w, futureAlerts, futureIncidents, src.responders)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	defer rows.Close()
	var raw []tuneRow
	for rows.Next() {
		var r tuneRow
		if err := rows.Scan(&r.kind, &r.team, &r.service, &r.name, &r.ms, &r.other, &r.n1, &r.n2, &r.n3); err != nil {
			return nil, fmt.Errorf("tune: scan: %w", err)
		}
		raw = append(raw, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	return assembleTuning(cfg, w, raw), nil
}

// tuneRow is one row of the tune query: kind says which simulation.
type tuneRow struct {
	kind, team, service, name string
	ms                        sql.NullInt64
	other                     sql.NullString
	n1, n2                    int64
	n3                        sql.NullInt64
}

type tuneKey struct{ team, service, name string }

// assembleTuning turns the query's rows into rules and picks the
// recommendations.
func assembleTuning(cfg Config, w Window, raw []tuneRow) *Tuning {
	t := cfg.Tune
	out := &Tuning{Window: w.Name, AsOf: cfg.Now.UTC(), MaxAddedDelaySeconds: t.MaxAddedDelay.Seconds(), Rules: []TuneRule{}}
	rules := map[tuneKey]*TuneRule{}
	offHours := map[tuneKey]int64{}
	var keys []tuneKey
	for _, r := range raw {
		if r.kind != "rule" {
			continue
		}
		k := tuneKey{r.team, r.service, r.name}
		rules[k] = &TuneRule{Team: r.team, Service: r.service, AlertName: r.name, Alerts: r.n1, Actionable: r.n2,
			For: []ForOutcome{}, KeepFiringFor: []KeepFiringOutcome{}, InhibitedBy: []Inhibition{}}
		offHours[k] = r.n3.Int64
		keys = append(keys, k)
	}
	forAt := map[tuneKey]map[int64]ForOutcome{}
	kffAt := map[tuneKey]map[int64]int64{}
	for _, r := range raw {
		k := tuneKey{r.team, r.service, r.name}
		rule := rules[k]
		if rule == nil {
			continue
		}
		switch r.kind {
		case "for":
			if forAt[k] == nil {
				forAt[k] = map[int64]ForOutcome{}
			}
			sec := float64(r.ms.Int64) / 1000
			forAt[k][r.ms.Int64] = ForOutcome{Seconds: sec, Suppressed: r.n1, ActionableMissed: r.n2,
				DelayAddedSeconds: float64(rule.Actionable-r.n2) * sec}
		case "keep_firing_for":
			if kffAt[k] == nil {
				kffAt[k] = map[int64]int64{}
			}
			kffAt[k][r.ms.Int64] = r.n1
		case "inhibited_by":
			// The share as a ratio of counts, so 4 of 5 is exactly 0.8 and
			// meets a threshold of 0.8.
			if share := float64(r.n1) / float64(rule.Alerts); rule.Alerts > 0 && share >= t.InhibitShare {
				rule.InhibitedBy = append(rule.InhibitedBy, Inhibition{AlertName: r.other.String, Share: share,
					Suppressed: r.n1, ActionableSuppressed: r.n2})
			}
		case "deferred":
			if rule.DeferToBusinessHours == nil {
				rule.DeferToBusinessHours = &Deferral{AlertsDeferred: offHours[k], Responders: []DeferralResponder{}}
			}
			d := rule.DeferToBusinessHours
			d.SleepInterruptionsSpared += r.n1
			d.OffHoursInterruptionsSpared += r.n2
			if r.other.Valid && r.n1+r.n2 > 0 {
				d.Responders = append(d.Responders, DeferralResponder{Responder: r.other.String,
					SleepInterruptionsSpared: r.n1, OffHoursInterruptionsSpared: r.n2})
			}
		}
	}
	for _, k := range keys {
		rule := rules[k]
		for _, c := range t.For {
			o, ok := forAt[k][c.Milliseconds()]
			if !ok {
				o = ForOutcome{Seconds: c.Seconds(), DelayAddedSeconds: float64(rule.Actionable) * c.Seconds()}
			}
			rule.For = append(rule.For, o)
		}
		rule.RecommendedForSeconds = recommendFor(t.MaxAddedDelay.Seconds(), rule.For)
		for _, c := range t.KeepFiringFor {
			rule.KeepFiringFor = append(rule.KeepFiringFor, KeepFiringOutcome{Seconds: c.Seconds(), Merged: kffAt[k][c.Milliseconds()]})
		}
		rule.RecommendedKeepFiringForSeconds = recommendKeepFiringFor(rule.KeepFiringFor)
		slices.SortStableFunc(rule.InhibitedBy, func(a, b Inhibition) int {
			if a.Suppressed != b.Suppressed {
				return int(b.Suppressed - a.Suppressed)
			}
			return strings.Compare(a.AlertName, b.AlertName)
		})
		if d := rule.DeferToBusinessHours; d != nil {
			slices.SortFunc(d.Responders, func(a, b DeferralResponder) int { return strings.Compare(a.Responder, b.Responder) })
		}
		out.Rules = append(out.Rules, *rule)
	}
	slices.SortFunc(out.Rules, func(a, b TuneRule) int {
		return strings.Compare(a.Team+"\x00"+a.Service+"\x00"+a.AlertName, b.Team+"\x00"+b.Service+"\x00"+b.AlertName)
	})
	return out
}

// recommendFor is the longest candidate that misses no actionable life and
// is at most MaxAddedDelay (the delay every actionable alert would get,
// whether or not the window had one); nil when that candidate suppresses
// nothing. Suppression only grows with the candidate, so when the longest
// acceptable one suppresses nothing, none does.
func recommendFor(maxDelaySeconds float64, outcomes []ForOutcome) *float64 {
	var best *ForOutcome
	for i, o := range outcomes {
		if o.ActionableMissed > 0 || o.Seconds > maxDelaySeconds {
			break // every longer candidate misses at least as much, or waits longer
		}
		best = &outcomes[i]
	}
	if best == nil || best.Suppressed == 0 {
		return nil
	}
	s := best.Seconds
	return &s
}

// recommendKeepFiringFor is the shortest candidate with the most merges;
// nil when nothing merges.
func recommendKeepFiringFor(outcomes []KeepFiringOutcome) *float64 {
	var best *KeepFiringOutcome
	for i, o := range outcomes {
		if o.Merged > 0 && (best == nil || o.Merged > best.Merged) {
			best = &outcomes[i]
		}
	}
	if best == nil {
		return nil
	}
	s := best.Seconds
	return &s
}

// durationValues renders candidates as a VALUES list of milliseconds
// (numbers the code holds, not user text).
func durationValues(ds []time.Duration) string {
	vs := make([]string, len(ds))
	for i, d := range ds {
		vs[i] = fmt.Sprintf("(%d)", d.Milliseconds())
	}
	return strings.Join(vs, ", ")
}

// tuneQuery counts every simulation in one statement. Its rows are
// (kind, team, service, alert_name, ms, other, n1, n2):
//
//	rule             alerts, actionable; n3 = alerts outside business hours
//	for              ms = candidate; suppressed, actionable suppressed (missed)
//	keep_firing_for  ms = candidate; merged lives
//	inhibited_by     other = inhibiting alert name; lives it covers, actionable ones
//	deferred         other = responder (NULL: none); sleep, off-hours interruptions spared
func tuneQuery(cfg Config, w Window, futureAlerts, futureIncidents bool, responders string) (string, []any) {
	a := &queryArgs{}
	t := cfg.Tune
	lo := cfg.Now.UTC().Add(-w.Duration)
	hours := alertTeamHours(cfg, a)
	now, from := a.ts(cfg.Now), a.ts(lo)
	q := `WITH ` + hours + alertLifeCTEs(cfg, now, from, futureAlerts, futureIncidents) +
		rosterCTEs(cfg, a) + interruptionCTEs(cfg, a, lo, responders) + `,
-- One row per life in the window, grouped as alert quality groups them.
-- life_ms: trigger to resolve (NULL while firing: never suppressed);
-- gap_ms: from the key's previous life's resolve (in the window) to this
-- trigger.
base AS MATERIALIZED (
	SELECT alert_key, coalesce(team, '') AS team, coalesce(service, '') AS service, coalesce(alert_name, '') AS alert_name,
		triggered_at, resolved_at, attached, acked OR attached IS NOT NULL AS actionable, business,
		CASE WHEN resolved_at IS NOT NULL THEN epoch_ms(resolved_at) - epoch_ms(triggered_at) END AS life_ms,
		epoch_ms(triggered_at) - epoch_ms(lag(resolved_at) OVER (PARTITION BY alert_key ORDER BY triggered_at)) AS gap_ms
	FROM b
),
for_c AS (SELECT * FROM (VALUES ` + durationValues(t.For) + `) v(ms)),
kff_c AS (SELECT * FROM (VALUES ` + durationValues(t.KeepFiringFor) + `) v(ms)),
-- Inhibition: per life, the alert names of its team with a life that
-- started at most ` + fmt.Sprint(t.InhibitWithin.Milliseconds()) + ` ms before it (the RANGE frame is inclusive and
-- holds lives starting at the same instant).
recent AS (
	SELECT team, service, alert_name, actionable,
		list(alert_name) OVER (PARTITION BY team ORDER BY triggered_at
			RANGE BETWEEN to_milliseconds(` + fmt.Sprint(t.InhibitWithin.Milliseconds()) + `) PRECEDING AND CURRENT ROW) AS names
	FROM base
),
-- Business-hours deferral: names with enough alerts, none actionable
-- outside business hours (the team's hours, as for off_hours).
deferred AS (
	SELECT team, service, alert_name FROM base GROUP BY ALL
	HAVING count(*) >= ` + fmt.Sprint(t.DeferMinAlerts) + ` AND count(*) FILTER (WHERE actionable AND NOT business) = 0
),
-- Their interruptions: those of the alerts' attached incidents, and those
-- paged for an alert key without an incident during the life.
spared AS (
	SELECT l.team, l.service, l.alert_name, i.responder, i.fold_key, i.time, i.bucket
	FROM base l JOIN deferred d USING (team, service, alert_name)
	JOIN interruptions i ON i.fold_key = l.attached
	UNION
	SELECT l.team, l.service, l.alert_name, i.responder, i.fold_key, i.time, i.bucket
	FROM base l JOIN deferred d USING (team, service, alert_name)
	JOIN interruptions i ON i.fold_key = l.alert_key
		AND i.time >= l.triggered_at AND i.time <= coalesce(l.resolved_at, ` + now + `)
)
SELECT 'rule' AS kind, team, service, alert_name, CAST(NULL AS BIGINT) AS ms, CAST(NULL AS VARCHAR) AS other,
	count(*) AS n1, count(*) FILTER (WHERE actionable) AS n2, count(*) FILTER (WHERE NOT business) AS n3
FROM base GROUP BY ALL
UNION ALL BY NAME
SELECT 'for' AS kind, l.team, l.service, l.alert_name, c.ms,
	count(*) FILTER (WHERE l.life_ms < c.ms) AS n1,
	count(*) FILTER (WHERE l.life_ms < c.ms AND l.actionable) AS n2
FROM base l CROSS JOIN for_c c GROUP BY ALL
UNION ALL BY NAME
SELECT 'keep_firing_for' AS kind, l.team, l.service, l.alert_name, c.ms,
	count(*) FILTER (WHERE l.gap_ms <= c.ms) AS n1, 0 AS n2
FROM base l CROSS JOIN kff_c c GROUP BY ALL
UNION ALL BY NAME
SELECT 'inhibited_by' AS kind, team, service, alert_name, other,
	count(*) AS n1, count(*) FILTER (WHERE actionable) AS n2
FROM (SELECT team, service, alert_name, actionable, unnest(list_distinct(names)) AS other FROM recent)
WHERE other <> alert_name AND other <> ''
GROUP BY ALL
UNION ALL BY NAME
SELECT 'deferred' AS kind, d.team, d.service, d.alert_name, s.responder AS other,
	count(s.time) FILTER (WHERE s.bucket = 'sleep') AS n1, count(s.time) FILTER (WHERE s.bucket = 'off_hours') AS n2
FROM deferred d LEFT JOIN spared s USING (team, service, alert_name)
GROUP BY ALL`
	return q, a.vals
}
