package store

// migrations are applied in order; migrations[i] brings a store to version
// i+1. Never edit a released migration: append a new one.
var migrations = [][]string{
	// 1: the event log and the dead letters.
	{
		`CREATE TABLE events (
			id              VARCHAR   NOT NULL,  -- unique per event; the idempotency key (no PRIMARY KEY: see docs/schema.md)
			source          VARCHAR   NOT NULL,
			type            VARCHAR   NOT NULL,  -- <kind>.<action>
			time            TIMESTAMP NOT NULL,  -- UTC
			incident_id     VARCHAR,
			alert_key       VARCHAR,
			alert_name      VARCHAR,
			title           VARCHAR,
			service         VARCHAR,
			team            VARCHAR,
			severity        VARCHAR,
			urgency         VARCHAR,
			responder       VARCHAR,
			responder_tz    VARCHAR,
			channel         VARCHAR,
			schedule        VARCHAR,
			started_at      TIMESTAMP,
			detected_by     VARCHAR,
			resolved_by     VARCHAR,
			role            VARCHAR,
			audience        VARCHAR,
			action_id       VARCHAR,
			labels          JSON,
			local_hour      TINYINT,             -- hour of day in responder_tz, computed at ingest (NULL without responder_tz)
			local_dow       TINYINT,             -- ISO weekday 1=Monday..7=Sunday in responder_tz
			local_date      DATE,                -- calendar date in responder_tz
			kafka_topic     VARCHAR,             -- or the file path for file ingest, or "webhook/<source>"
			kafka_partition INTEGER,
			kafka_offset    BIGINT,              -- or the line number for file ingest
			ingested_at     TIMESTAMP NOT NULL
		)`,
		`CREATE TABLE dead_letters (
			raw         BLOB,
			topic       VARCHAR,
			partition   INTEGER,
			"offset"    BIGINT,
			format      VARCHAR,
			reason      VARCHAR   NOT NULL,  -- bounded class (event.Reason)
			error       VARCHAR   NOT NULL,  -- the precise message
			received_at TIMESTAMP NOT NULL
		)`,
	},
	// 2: flags that must survive a crash. "derived_stale" is set while a
	// bulk load defers the derived tables (Store.DeferDerived) and cleared
	// in the transaction that rebuilds them; a store opened with it set is
	// rebuilt before use (Store.RebuildIfStale).
	{
		`CREATE TABLE store_flags (
			name   VARCHAR PRIMARY KEY,
			set_at TIMESTAMP NOT NULL DEFAULT now()
		)`,
	},
	// 3: how far the derived tables have been brought: every event with
	// ingested_at <= through is in them. WriteBatch advances it in the
	// batch's transaction, or the asynchronous deriver in its own
	// (Store.SetAsyncDerived); a store opened behind is caught up first
	// (Store.CatchUpDerived). Stores from before start caught up.
	{
		`CREATE TABLE derived_state (through TIMESTAMP)`,
		`INSERT INTO derived_state SELECT max(ingested_at) FROM events`,
	},
	// 4: what each importer (ingest/importers) has completely imported, so
	// that a rerun, or serve's poller, goes on where the last one stopped:
	// [origin, cursor) is complete; pending lists items (PagerDuty incident
	// ids) still open at the cursor, to read again on the next run. Written
	// in the transaction of the batch whose events it accounts for
	// (Batch.State).
	{
		`CREATE TABLE import_state (
			source     VARCHAR PRIMARY KEY,  -- "pagerduty", …
			origin     TIMESTAMP NOT NULL,   -- start of the completely imported range
			cursor     TIMESTAMP NOT NULL,   -- its end: the end of the last complete window
			pending    VARCHAR[],            -- items to read again (open incidents)
			updated_at TIMESTAMP NOT NULL
		)`,
	},
	// 5: PagerDuty events get ids by the transition (decode.PagerDutyID)
	// instead of the webhook event's id, so that a transition imported from
	// the REST API and delivered by webhook is stored once. The events
	// stored under the old rule ("pagerduty-" + the webhook event id, every
	// PagerDuty type but incident.role_assigned, which was derived already)
	// are given their new id, and their time in whole seconds as the
	// decoder now gives it (the store's duplicate check expects a duplicate
	// at its original's time), so that a webhook redelivered, or the
	// same history imported, after the upgrade is not stored again. Two old
	// events that are one transition by the new rule (incident.reassigned
	// and incident.delegated at one instant) keep one row, the first
	// ingested. The derived tables hold ids and counts (escalations) of the
	// rewritten events: they are marked stale and rebuilt at the next open
	// with analytics (Store.RebuildIfStale).
	{
		`UPDATE events SET id = ` + pagerDutyIDSQL + `, time = date_trunc('second', time)
		WHERE source = 'pagerduty' AND id LIKE 'pagerduty-%' AND incident_id IS NOT NULL
			AND type <> 'incident.role_assigned'`,
		`DELETE FROM events WHERE rowid IN (
			SELECT rowid FROM (
				SELECT rowid, row_number() OVER (PARTITION BY id ORDER BY ingested_at, rowid) AS n
				FROM events WHERE source = 'pagerduty')
			WHERE n > 1)`,
		`INSERT INTO store_flags (name) SELECT '` + flagDerivedStale + `'
		WHERE EXISTS (SELECT 1 FROM events WHERE source = 'pagerduty')
		ON CONFLICT DO NOTHING`,
	},
	// 6: Opsgenie's triggered, acknowledged and resolved events (alert.*
	// and incident.*) get ids by the transition (decode.OpsgenieID) instead
	// of the webhook's action and its createdAt/updatedAt stamp, so that a
	// transition delivered by webhook and imported from the REST API
	// (createdAt + report.ackTime/closeTime) is stored once. Their times
	// become whole seconds, as the decoder now gives them (the store's
	// duplicate check expects a duplicate at its original's time). Two old
	// events that are one transition by the new rule keep one row, the
	// first ingested. The derived tables are marked stale and rebuilt at
	// the next open with analytics (incident times move by under a second).
	{
		`UPDATE events SET id = ` + opsgenieIDSQL + `, time = date_trunc('second', time)
		WHERE source = 'opsgenie' AND type IN (` + opsgenieTransitionTypes + `)`,
		`DELETE FROM events WHERE rowid IN (
			SELECT rowid FROM (
				SELECT rowid, row_number() OVER (PARTITION BY id ORDER BY ingested_at, rowid) AS n
				FROM events WHERE source = 'opsgenie')
			WHERE n > 1)`,
		`INSERT INTO store_flags (name) SELECT '` + flagDerivedStale + `'
		WHERE EXISTS (SELECT 1 FROM events WHERE source = 'opsgenie')
		ON CONFLICT DO NOTHING`,
	},
	// 7: incident.io's triggered, resolved, mitigated, reopened and
	// status-update events get ids by the incident and the transition
	// (decode.IncidentIOID) instead of the webhook's webhook-id header, so
	// that an event delivered by webhook and imported from the REST API
	// (ingest/importers/incidentio) is stored once; role assignments get
	// the time in their id (several rows of one id at several times become
	// distinct observations). The times of all of them but the trigger,
	// and of incident.severity_changed, become whole seconds,
	// as the decoder now gives them (the store's duplicate check expects a
	// duplicate at its original's time); incident.triggered keeps its time
	// (the incident's created_at, which both paths give alike). Two old
	// events that are one by the new rule keep one row, the first
	// ingested. The derived tables are marked stale and rebuilt at the next
	// open with analytics.
	{
		`UPDATE events SET id = ` + incidentIOIDSQL + `,
			time = CASE WHEN type = 'incident.triggered' THEN time ELSE date_trunc('second', time) END
		WHERE source = 'incidentio' AND type IN (` + incidentIOTransitionTypes + `)`,
		`UPDATE events SET time = date_trunc('second', time)
		WHERE source = 'incidentio' AND type = 'incident.severity_changed'`,
		`DELETE FROM events WHERE rowid IN (
			SELECT rowid FROM (
				SELECT rowid, row_number() OVER (PARTITION BY id ORDER BY ingested_at, rowid) AS n
				FROM events WHERE source = 'incidentio')
			WHERE n > 1)`,
		`INSERT INTO store_flags (name) SELECT '` + flagDerivedStale + `'
		WHERE EXISTS (SELECT 1 FROM events WHERE source = 'incidentio')
		ON CONFLICT DO NOTHING`,
	},
}

// incidentIOTransitionTypes are the incident.io types whose id migration 7
// rewrites (decode.IncidentIOID's rules by incident and time).
const incidentIOTransitionTypes = `'incident.triggered', 'incident.resolved', 'incident.mitigated',
	'incident.reopened', 'incident.status_update', 'incident.role_assigned'`

// incidentIOIDSQL is decode.IncidentIOID in SQL for those types (migration
// 7): "incidentio-" + the first 16 bytes of SHA-256 over type, incident_id,
// for incident.role_assigned role and responder, and, but for
// incident.triggered, the time in whole seconds, each written as <byte
// length>:<value>. Never change what it computes: it is part of a
// released migration (TestIncidentIOIDMigration pins it to the Go rule).
var incidentIOIDSQL = func() string {
	field := func(expr string) string {
		return "CAST(strlen(" + expr + ") AS VARCHAR) || ':' || " + expr
	}
	second := `strftime(date_trunc('second', time), '%Y-%m-%dT%H:%M:%SZ')`
	inc := `coalesce(incident_id, '')`
	return `'incidentio-' || left(sha256(` + field("type") + ` || ` + field(inc) + ` ||
		CASE type
			WHEN 'incident.triggered' THEN ''
			WHEN 'incident.role_assigned' THEN ` + field(`coalesce(role, '')`) + ` || ` + field(`coalesce(responder, '')`) + ` || ` + field(second) + `
			ELSE ` + field(second) + ` END), 32)`
}()

// opsgenieTransitionTypes are the types decode.OpsgenieByTransition
// accepts, as an SQL list (migration 6).
const opsgenieTransitionTypes = `'alert.triggered', 'alert.acknowledged', 'alert.resolved',
	'incident.triggered', 'incident.acknowledged', 'incident.resolved'`

// opsgenieIDSQL is decode.OpsgenieID in SQL (migration 6): "opsgenie-" +
// the first 16 bytes of SHA-256 over type, the key (alert_key for alert.*,
// incident_id otherwise) and the time in whole seconds, each written as
// <byte length>:<value>. Never change what it computes: it is part of a
// released migration (TestOpsgenieIDMigration pins it to the Go rule).
var opsgenieIDSQL = func() string {
	field := func(expr string) string {
		return "CAST(strlen(" + expr + ") AS VARCHAR) || ':' || " + expr
	}
	second := `strftime(date_trunc('second', time), '%Y-%m-%dT%H:%M:%SZ')`
	key := `(CASE WHEN type LIKE 'alert.%' THEN coalesce(alert_key, '') ELSE coalesce(incident_id, '') END)`
	return `'opsgenie-' || left(sha256(` + field("type") + ` || ` + field(key) + ` || ` + field(second) + `), 32)`
}()

// pagerDutyIDSQL is decode.PagerDutyID in SQL, over the stored columns
// (migration 5): "pagerduty-" + the first 16 bytes of SHA-256 over the
// fields, each written as <byte length>:<value>. Never change what it
// computes: it is part of a released migration (TestPagerDutyIDMigration
// pins it to the Go rule).
var pagerDutyIDSQL = func() string {
	field := func(expr string) string {
		return "CAST(strlen(" + expr + ") AS VARCHAR) || ':' || " + expr
	}
	second := `strftime(date_trunc('second', time), '%Y-%m-%dT%H:%M:%SZ')`
	responder, channel := `coalesce(responder, '')`, `coalesce(channel, '')`
	return `'pagerduty-' || left(sha256(` + field("type") + ` || ` + field("incident_id") + ` || ` + field(second) + ` ||
		CASE type
			WHEN 'page.notified' THEN ` + field(responder) + ` || ` + field(channel) + `
			WHEN 'incident.status_update' THEN ` + field(responder) + `
			ELSE '' END), 32)`
}()

// eventColumns is the column order of events, as the appender writes it.
const eventColumnCount = 30
