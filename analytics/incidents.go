package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/store"
)

// The incident timeline (metrics.md, "Timeline of an incident") is the
// derived table incidents, one row per incident_id, kept current by the
// store inside every batch's transaction.
//
// Events arrive late, twice and out of order, so the table stores, next to
// the figures, a mergeable state: every state column is a min, a max or a
// sum over the incident's events, and "first/latest value" is kept as the
// min/max of a {t: time, v: value} struct (ties broken by the value, so the
// result never depends on arrival order). Merging a batch is then
// least()/greatest()/+ of the stored state and the batch's state, which is
// exactly the state a fold of all events gives: the incremental path and a
// rebuild agree by construction (TestIncidentsIncrementalMatchesRebuild
// checks it on a shuffled stream). The figures (resolved_at honouring
// reopens, the ack that counts, …) are a pure function of the state, applied
// by incidentFiguresSQL to the touched rows.
//
// Re-folding the touched incidents from events would be just as correct but
// scans the incident_id column of all events on every batch; the merge only
// reads the batch and the touched rows.

func init() {
	registerDerived(store.DerivedTable{
		Name:    "incidents",
		Create:  []string{incidentsCreateSQL},
		Update:  []string{incidentsMergeSQL, incidentsFinalizeTouchedSQL},
		Rebuild: []string{`DROP TABLE IF EXISTS incidents`, incidentsCreateSQL, incidentsRebuildSQL},
	})
	registerSection("incidents", computeIncidents)
}

// incidentsColumns is the column list of incidents: the figures, then the
// mergeable state they are computed from.
const incidentsColumns = `incident_id VARCHAR PRIMARY KEY,
	team            VARCHAR,    -- latest non-empty team of the incident's incident.* events
	service         VARCHAR,    -- latest non-empty service, likewise
	severity        VARCHAR,    -- latest of incident.severity_changed / incident.triggered
	triggered_at    TIMESTAMP,  -- first incident.triggered; NULL until a trigger is stored
	started_at      TIMESTAMP,  -- impact start carried by a trigger, if not after triggered_at
	acknowledged_at TIMESTAMP,  -- first incident.acknowledged, unless it came after resolved_at
	acknowledged_by VARCHAR,    -- its responder
	mitigated_at    TIMESTAMP,  -- first incident.mitigated, else (and at most) resolved_at
	resolved_at     TIMESTAMP,  -- last incident.resolved not followed by a reopen; NULL = open
	escalations     BIGINT,     -- count of incident.escalated
	reassignments   BIGINT,     -- count of incident.reassigned
	detected_by     VARCHAR,    -- alert | human | customer, from the trigger (default alert)
	auto_resolved   BOOLEAN,    -- resolved with no acknowledged_at
	alert_key       VARCHAR,    -- first alert_key carried by the incident's events
	-- state
	first_started_at   TIMESTAMP,
	detected_s         STRUCT(t TIMESTAMP, v VARCHAR),
	first_ack          STRUCT(t TIMESTAMP, v VARCHAR),
	first_mitigated_at TIMESTAMP,
	last_resolved_at   TIMESTAMP,
	last_reopened_at   TIMESTAMP,
	severity_s         STRUCT(t TIMESTAMP, v VARCHAR),
	team_s             STRUCT(t TIMESTAMP, v VARCHAR),
	service_s          STRUCT(t TIMESTAMP, v VARCHAR),
	alert_key_s        STRUCT(t TIMESTAMP, v VARCHAR)`

var incidentsCreateSQL = "CREATE TABLE IF NOT EXISTS incidents (\n\t" + incidentsColumns + "\n)"

// incidentStateCols are the columns incidentFoldSQL produces, in order.
const incidentStateCols = `incident_id, triggered_at, escalations, reassignments, first_started_at, detected_s, first_ack,
	first_mitigated_at, last_resolved_at, last_reopened_at, severity_s, team_s, service_s, alert_key_s`

// incidentFoldSQL folds the events of a relation (events, new_events, or a
// subquery of events) into one state row per incident. Only incident.*
// events count: pages, action items and alerts carry an incident_id too,
// but their team or severity is not the incident's.
func incidentFoldSQL(src string) string {
	return `SELECT incident_id,
	min(time) FILTER (WHERE type = 'incident.triggered') AS triggered_at,
	count(*) FILTER (WHERE type = 'incident.escalated') AS escalations,
	count(*) FILTER (WHERE type = 'incident.reassigned') AS reassignments,
	min(started_at) FILTER (WHERE type = 'incident.triggered') AS first_started_at,
	min({'t': time, 'v': detected_by}) FILTER (WHERE type = 'incident.triggered' AND detected_by IS NOT NULL) AS detected_s,
	min({'t': time, 'v': coalesce(responder, '')}) FILTER (WHERE type = 'incident.acknowledged') AS first_ack,
	min(time) FILTER (WHERE type = 'incident.mitigated') AS first_mitigated_at,
	max(time) FILTER (WHERE type = 'incident.resolved') AS last_resolved_at,
	max(time) FILTER (WHERE type = 'incident.reopened') AS last_reopened_at,
	max({'t': time, 'v': severity}) FILTER (WHERE type IN ('incident.triggered', 'incident.severity_changed') AND severity IS NOT NULL) AS severity_s,
	max({'t': time, 'v': team}) FILTER (WHERE team IS NOT NULL) AS team_s,
	max({'t': time, 'v': service}) FILTER (WHERE service IS NOT NULL) AS service_s,
	min({'t': time, 'v': alert_key}) FILTER (WHERE alert_key IS NOT NULL) AS alert_key_s
FROM ` + src + `
WHERE incident_id IS NOT NULL AND type LIKE 'incident.%'
GROUP BY incident_id`
}

// incidentFigureCols are the figure columns, computed by incidentFiguresSQL.
var incidentFigureCols = []string{"team", "service", "severity", "started_at", "acknowledged_at", "acknowledged_by",
	"mitigated_at", "resolved_at", "detected_by", "auto_resolved", "alert_key"}

// incidentFiguresSQL computes every column of incidents from a relation of
// state rows (the output of incidentFoldSQL, or incidents itself).
//   - resolved: the last resolve counts unless a later reopen undid it (a
//     reopen at the same instant as the resolve does not).
//   - an ack counts unless the (final) resolve came before it: "an incident
//     resolved before any ack has no ack time"; it is then auto-resolved.
//   - mitigated: least() ignores NULL, so no mitigate gives the resolve, and
//     a mitigate recorded after the resolve is clamped to it.
func incidentFiguresSQL(state string) string {
	return `SELECT incident_id,
	struct_extract(team_s, 'v') AS team,
	struct_extract(service_s, 'v') AS service,
	struct_extract(severity_s, 'v') AS severity,
	triggered_at,
	CASE WHEN first_started_at <= triggered_at THEN first_started_at END AS started_at,
	CASE WHEN resolved IS NULL OR ack_t <= resolved THEN ack_t END AS acknowledged_at,
	CASE WHEN resolved IS NULL OR ack_t <= resolved THEN nullif(struct_extract(first_ack, 'v'), '') END AS acknowledged_by,
	least(first_mitigated_at, resolved) AS mitigated_at,
	resolved AS resolved_at,
	escalations, reassignments,
	coalesce(struct_extract(detected_s, 'v'), 'alert') AS detected_by,
	resolved IS NOT NULL AND (ack_t IS NULL OR ack_t > resolved) AS auto_resolved,
	struct_extract(alert_key_s, 'v') AS alert_key,
	first_started_at, detected_s, first_ack, first_mitigated_at, last_resolved_at, last_reopened_at,
	severity_s, team_s, service_s, alert_key_s
FROM (
	SELECT ` + incidentStateCols + `,
		CASE WHEN last_reopened_at IS NULL OR last_resolved_at >= last_reopened_at THEN last_resolved_at END AS resolved,
		struct_extract(first_ack, 't') AS ack_t
	FROM ` + state + `
)`
}

// incidentsRebuildSQL re-derives the table from all events.
var incidentsRebuildSQL = `INSERT INTO incidents BY NAME ` + incidentFiguresSQL("("+incidentFoldSQL("events")+")")

// incidentsMergeSQL merges the batch's state into the stored state: first
// values by least(), latest by greatest(), counts by +. least/greatest skip
// NULLs, so a batch without, say, an ack keeps the stored ack.
var incidentsMergeSQL = `INSERT INTO incidents (` + incidentStateCols + `)
` + incidentFoldSQL("new_events") + `
ON CONFLICT (incident_id) DO UPDATE SET
	triggered_at       = least(triggered_at, excluded.triggered_at),
	escalations        = escalations + excluded.escalations,
	reassignments      = reassignments + excluded.reassignments,
	first_started_at   = least(first_started_at, excluded.first_started_at),
	detected_s         = least(detected_s, excluded.detected_s),
	first_ack          = least(first_ack, excluded.first_ack),
	first_mitigated_at = least(first_mitigated_at, excluded.first_mitigated_at),
	last_resolved_at   = greatest(last_resolved_at, excluded.last_resolved_at),
	last_reopened_at   = greatest(last_reopened_at, excluded.last_reopened_at),
	severity_s         = greatest(severity_s, excluded.severity_s),
	team_s             = greatest(team_s, excluded.team_s),
	service_s          = greatest(service_s, excluded.service_s),
	alert_key_s        = least(alert_key_s, excluded.alert_key_s)`

// incidentsFinalizeTouchedSQL recomputes the figures of the incidents the
// batch touched from their merged state.
var incidentsFinalizeTouchedSQL = func() string {
	sets := make([]string, len(incidentFigureCols))
	for i, c := range incidentFigureCols {
		sets[i] = c + " = f." + c
	}
	return "UPDATE incidents SET " + strings.Join(sets, ", ") + `
FROM (` + incidentFiguresSQL(`(SELECT * FROM incidents
	WHERE incident_id IN (SELECT incident_id FROM new_events WHERE incident_id IS NOT NULL AND type LIKE 'incident.%'))`) + `) f
WHERE incidents.incident_id = f.incident_id`
}()

// incidentsAsOf returns an SQL relation of incidents as they stood at now.
// The stored table has folded every event, including those after now (a
// report for a past date, or a producer clock running ahead). When the store
// holds any event after now, the incidents such events touch are re-folded
// from their events up to now; all others are read from the table as they
// are. futureIncidents is the result of hasEventsAfter for incident events.
func incidentsAsOf(now string, future bool) string {
	if !future {
		return "(SELECT * FROM incidents)"
	}
	affected := `(SELECT DISTINCT incident_id FROM events WHERE time > ` + now + ` AND incident_id IS NOT NULL AND type LIKE 'incident.%')`
	return `(SELECT * FROM incidents WHERE incident_id NOT IN ` + affected + `
	UNION ALL BY NAME
	` + incidentFiguresSQL(`(`+incidentFoldSQL(`(SELECT * FROM events WHERE time <= `+now+` AND incident_id IN `+affected+`)`)+`)`) + `)`
}

// hasEventsAfter reports whether the store holds an event of the kind after
// t. The events are stored roughly in time order, so DuckDB answers this
// from the row groups' min/max statistics.
func hasEventsAfter(ctx context.Context, db *sql.DB, kind string, t time.Time) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events WHERE time > $1 AND type LIKE $2 LIMIT 1)`,
		t.UTC(), kind+".%").Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for %s events after now: %w", kind, err)
	}
	return n > 0, nil
}
