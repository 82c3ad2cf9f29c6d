package analytics

import (
	"strings"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// Narrow event tables: the events of a few types, with only the columns the
// queries read, appended per batch (derived tables the store maintains).
//
// The command query read its events (8 types, all history: an incident's
// events are not bounded in time by its trigger) and the shift queries (on
// call time, schedule coverage) their shift events (all history: a shift
// can run for weeks) from events, by a type filter that cannot skip a row
// group: at 10M events the command events scan took 0.57 s of the command
// query's 0.80 s, and the shift scan (its OR of two types not pushed into
// the scan, 6.1M rows out) 0.34 s of on-call's 0.95 s and most of schedule
// coverage's 0.39 s (EXPLAIN ANALYZE, 2 cores). The narrow tables hold 16%
// and 0.1% of the events.
//
// On-call load read its pages and acknowledgements from events as well (the
// scan and the fold's lag window over the wide rows: 0.8 s of on-call's
// 1.1 s at 10M events), and the zone each responder row reports from every
// event carrying responder_tz in the windows (1.4M rows at 10M events):
// responder_events holds the pages and acknowledgements (~25% of events),
// responder_zones one row per responder, the latest responder_tz.
//
// A batch only adds rows (the store's new_events are new ids only), and a
// row is a plain projection of its event, so the incremental tables are the
// rebuild's, row for row (TestIncrementalMatchesRebuild).

func init() {
	registerDerived(store.DerivedTable{
		Name:    "command_events",
		Create:  []string{commandEventsCreateSQL},
		Update:  []string{commandEventsInsertSQL("new_events")},
		Rebuild: []string{`DROP TABLE IF EXISTS command_events`, commandEventsCreateSQL, commandEventsInsertSQL("events")},
	})
	registerDerived(store.DerivedTable{
		Name:    "shift_events",
		Create:  []string{shiftEventsCreateSQL},
		Update:  []string{shiftEventsInsertSQL("new_events")},
		Rebuild: []string{`DROP TABLE IF EXISTS shift_events`, shiftEventsCreateSQL, shiftEventsInsertSQL("events")},
	})
	// channel was added to responder_events after its first release: a
	// store with the older table gets it re-created and filled (Attach).
	registerAddedColumns("responder_events", "channel")
	registerDerived(store.DerivedTable{
		Name:    "responder_events",
		Create:  []string{responderEventsCreateSQL},
		Update:  []string{responderEventsInsertSQL("new_events")},
		Rebuild: []string{`DROP TABLE IF EXISTS responder_events`, responderEventsCreateSQL, responderEventsInsertSQL("events")},
	})
	registerDerived(store.DerivedTable{
		Name:    "responder_zones",
		Create:  []string{responderZonesCreateSQL},
		Update:  []string{responderZonesMergeSQL},
		Rebuild: []string{`DROP TABLE IF EXISTS responder_zones`, responderZonesCreateSQL, responderZonesRebuildSQL},
	})
}

// commandEventTypes are the types the command query reads.
const commandEventTypes = `'incident.role_assigned', 'incident.status_update', 'incident.retrospective_completed',
			'incident.escalated', 'incident.triggered', 'incident.severity_changed',
			'action_item.created', 'action_item.completed'`

const commandEventsCreateSQL = `CREATE TABLE IF NOT EXISTS command_events (
	incident_id VARCHAR NOT NULL,
	type        VARCHAR NOT NULL,
	time        TIMESTAMP NOT NULL,
	role        VARCHAR,
	severity    VARCHAR,
	action_id   VARCHAR
)`

func commandEventsInsertSQL(src string) string {
	return `INSERT INTO command_events
SELECT incident_id, type, time, role, severity, action_id FROM ` + src + `
WHERE incident_id IS NOT NULL AND type IN (` + commandEventTypes + `)`
}

const shiftEventsCreateSQL = `CREATE TABLE IF NOT EXISTS shift_events (
	id        VARCHAR NOT NULL,
	type      VARCHAR NOT NULL,
	time      TIMESTAMP NOT NULL,
	responder VARCHAR NOT NULL,
	team      VARCHAR,
	schedule  VARCHAR
)`

func shiftEventsInsertSQL(src string) string {
	return `INSERT INTO shift_events
SELECT id, type, time, responder, team, schedule FROM ` + src + `
WHERE responder IS NOT NULL AND type IN ('shift.started', 'shift.ended')`
}

// responderEventTypes are the types on-call load reads per responder.
const responderEventTypes = `'page.notified', 'incident.acknowledged'`

const responderEventsCreateSQL = `CREATE TABLE IF NOT EXISTS responder_events (
	id           VARCHAR NOT NULL,
	type         VARCHAR NOT NULL,
	time         TIMESTAMP NOT NULL,
	responder    VARCHAR NOT NULL,
	incident_id  VARCHAR,
	alert_key    VARCHAR,
	team         VARCHAR,
	responder_tz VARCHAR,
	local_hour   TINYINT,
	local_dow    TINYINT,
	local_date   DATE,
	channel      VARCHAR  -- normalised (channelSQL); NULL when unknown
)`

// responderEventsColumns are responder_events' columns as read from events.
var responderEventsColumns = `id, type, time, responder, incident_id, alert_key, team, responder_tz, local_hour, local_dow, local_date, ` +
	channelSQL("channel") + ` AS channel`

func responderEventsInsertSQL(src string) string {
	return `INSERT INTO responder_events
SELECT ` + responderEventsColumns + ` FROM ` + src + `
WHERE responder IS NOT NULL AND type IN (` + responderEventTypes + `)`
}

// responderEventsFromEvents is the relation responder_events holds, read
// from events (a store without analytics attached).
var responderEventsFromEvents = `(SELECT ` + responderEventsColumns + `
	FROM events WHERE responder IS NOT NULL AND type IN (` + responderEventTypes + `))`

// channelSQL is event.NormalizeChannel in SQL over the column col, NULL
// for unknown. The decoders store normalised channels already; this
// normalises those stored before they did (a canonical producer's "SMS" or
// "voice"), so that interruption_channels reads every page alike.
func channelSQL(col string) string {
	var b strings.Builder
	b.WriteString("CASE replace(replace(lower(trim(coalesce(" + col + ", ''))), '-', '_'), ' ', '_')")
	for _, a := range event.ChannelAliases() {
		if a.Channel == "" {
			b.WriteString(" WHEN '" + a.Name + "' THEN NULL")
		} else {
			b.WriteString(" WHEN '" + a.Name + "' THEN '" + a.Channel + "'")
		}
	}
	b.WriteString(" ELSE '" + event.ChannelOther + "' END")
	return b.String()
}

// responder_zones keeps, per responder, the latest event carrying
// responder_tz as a {t: time, v: zone} struct: a max, so merging a batch is
// greatest() of the stored and the batch's (ties broken by the zone name),
// whatever the arrival order.
const responderZonesCreateSQL = `CREATE TABLE IF NOT EXISTS responder_zones (
	responder VARCHAR PRIMARY KEY,
	latest_tz STRUCT(t TIMESTAMP, v VARCHAR) NOT NULL  -- time and zone of the latest event with responder_tz
)`

func responderZonesFoldSQL(src string) string {
	return `SELECT responder, max({'t': time, 'v': responder_tz}) AS latest_tz FROM ` + src + `
WHERE responder IS NOT NULL AND responder_tz IS NOT NULL
GROUP BY responder`
}

var responderZonesMergeSQL = `INSERT INTO responder_zones
` + responderZonesFoldSQL("new_events") + `
ON CONFLICT (responder) DO UPDATE SET latest_tz = greatest(latest_tz, excluded.latest_tz)`

var responderZonesRebuildSQL = `INSERT INTO responder_zones ` + responderZonesFoldSQL("events")
