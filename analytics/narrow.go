package analytics

import "github.com/pagerlens/pagerlens/store"

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
