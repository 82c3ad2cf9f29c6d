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
}

// eventColumns is the column order of events, as the appender writes it.
const eventColumnCount = 30
