package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/pagerlens/pagerlens/event"
)

// Row is one decoded event and where it came from.
type Row struct {
	Event     event.Event
	Topic     string // Kafka topic, file path or "webhook/<source>"
	Partition int32
	Offset    int64
}

// DeadLetter is a message that could not be decoded or validated. It is
// stored with its raw bytes so that nothing is lost: fix the producer (or
// pagerlens) and replay it.
type DeadLetter struct {
	Raw       []byte
	Topic     string
	Partition int32
	Offset    int64
	Format    string
	Reason    string // bounded class, e.g. event.ReasonBadTime
	Error     string // the precise message
}

// Batch is the unit of one transaction.
type Batch struct {
	Rows        []Row
	DeadLetters []DeadLetter
	// State, if set, is written in the same transaction (an importer's
	// cursor advanced with the window's events; see ImportState).
	State *ImportState
}

// Result counts what a batch did.
type Result struct {
	Stored       int // new events written
	Duplicates   int // events whose id was already stored, or repeated in the batch
	DeadLettered int // dead letters written (a replayed one is not written twice)
	// StoredByTopic splits Stored by the rows' Topic.
	StoredByTopic map[string]int
}

// DerivedTable is a table that the store keeps up to date from the events as
// they arrive, inside each batch's transaction (the incident timeline, for
// one). Update statements read the batch's new events from the temporary
// table new_events; Rebuild statements re-derive the table from events.
type DerivedTable struct {
	Name    string
	Create  []string // idempotent (CREATE TABLE IF NOT EXISTS …)
	Update  []string
	Rebuild []string
}

// SetTrace makes every later WriteBatch report the duration of each of its
// steps (the append, then each SQL statement by its first line) to f; nil
// turns it off. For profiling: pagerlens bench prints the breakdown.
func (s *Store) SetTrace(f func(step string, d time.Duration)) {
	s.writeMu.Lock()
	s.traceMu.Lock()
	s.trace = f
	s.traceMu.Unlock()
	s.writeMu.Unlock()
}

// RegisterDerived creates d's table if needed and maintains it from every
// later batch. Register all derived tables before the first write.
func (s *Store) RegisterDerived(ctx context.Context, d DerivedTable) error {
	if !s.opts.ReadOnly {
		for _, q := range d.Create {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("create derived table %s: %w", d.Name, err)
			}
		}
	}
	s.writeMu.Lock()
	s.derived = append(s.derived, d)
	s.writeMu.Unlock()
	return nil
}

// Rebuild re-derives every registered derived table from the events table, in
// one transaction, which also clears a stale flag left by DeferDerived.
func (s *Store) Rebuild(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.rebuildLocked(ctx)
}

func (s *Store) rebuildLocked(ctx context.Context) error {
	s.stopDeriver()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	defer tx.Rollback()
	for _, d := range s.derived {
		for _, q := range d.Rebuild {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("rebuild %s: %w", d.Name, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM store_flags WHERE name = $1`, flagDerivedStale); err != nil {
		return fmt.Errorf("rebuild: clear stale flag: %w", err)
	}
	if err := markDerivedThrough(ctx, tx); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	return nil
}

// WriteBatch stores b in one transaction: events whose id is already stored
// (or repeated within b) are skipped, so a replayed batch changes nothing;
// derived tables are updated from the new events; dead letters are written
// unless the same (topic, partition, offset) was dead-lettered before. Either
// all of it is committed or none of it.
func (s *Store) WriteBatch(ctx context.Context, b Batch) (Result, error) {
	if s.opts.ReadOnly {
		return Result{}, errors.New("write batch: store is open read-only")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	async := s.asyncDerived.Load() && !s.deferred && len(s.derived) > 0
	if async {
		s.derMu.Lock()
		d := s.der
		s.derMu.Unlock()
		if d != nil {
			// A failing deriver (a full disk, say) stops the writes too, so
			// that the consumer backs off and the lag shows, rather than
			// the derived tables falling ever further behind.
			if err := d.failed(); err != nil {
				return Result{}, fmt.Errorf("write batch: %w", err)
			}
		}
	}

	rows, dups := dedupBatch(b.Rows)
	res := Result{Duplicates: dups}
	if len(rows) == 0 && len(b.DeadLetters) == 0 && b.State == nil {
		return res, nil
	}
	if len(rows) > 0 {
		// The recent-id set only knows what WriteBatch stored. Events that
		// came another way (Merge, SQL on DB()) change the count (a cheap
		// metadata read): then it starts over, empty and complete after the
		// latest stored time, as when the store is opened.
		var count int64
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&count); err != nil {
			return Result{}, fmt.Errorf("write batch: count events: %w", err)
		}
		if !s.recent.known || count != s.recent.count {
			var latest, ingested sql.NullTime
			if err := s.db.QueryRowContext(ctx, `SELECT max(time), max(ingested_at) FROM events`).Scan(&latest, &ingested); err != nil {
				return Result{}, fmt.Errorf("write batch: latest stored time: %w", err)
			}
			s.recent = newRecentIDs()
			s.recent.after, s.recent.known, s.recent.count = latest.Time, true, count
			s.recent.ingested = ingested.Time
		}
	}
	// Each batch gets an ingested_at later than every stored one (the clock
	// may repeat a microsecond or step back), so that the fast path's
	// new_events (see batchWriter.write) selects exactly this batch's rows.
	now := time.Now().UTC().Truncate(time.Microsecond)
	if !now.After(s.recent.ingested) {
		now = s.recent.ingested.Add(time.Microsecond)
	}
	s.recent.ingested = now
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("write batch: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		derived := s.derived
		if s.deferred || async {
			derived = nil // rebuilt by DeferDerived's finish, or the deriver's
		}
		w := batchWriter{ctx: ctx, dc: dc.(driver.Conn), derived: derived, trace: s.trace, recent: s.recent}
		var err error
		res, err = w.write(rows, b.DeadLetters, b.State, res, now)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("write batch of %d events and %d dead letters to %s: %w", len(rows), len(b.DeadLetters), s.path, err)
	}
	if len(rows) > 0 {
		s.recent.add(rows)
		s.recent.count += int64(res.Stored)
	}
	if async && res.Stored > 0 {
		s.derMu.Lock()
		d := s.der
		s.derMu.Unlock()
		if d == nil {
			// The first asynchronous batch: the watermark is the one before
			// it (this batch's events are past it).
			if d, err = s.startDeriver(ctx); err != nil {
				return res, fmt.Errorf("write batch: committed, but %w", err)
			}
		}
		d.queue(now, res.Stored)
	}
	return res, nil
}

// dedupBatch keeps the first row of each id.
func dedupBatch(in []Row) ([]Row, int) {
	seen := make(map[string]struct{}, len(in))
	out := in[:0:0]
	for _, r := range in {
		if _, dup := seen[r.Event.ID]; dup {
			continue
		}
		seen[r.Event.ID] = struct{}{}
		out = append(out, r)
	}
	return out, len(in) - len(out)
}

type batchWriter struct {
	ctx     context.Context
	dc      driver.Conn
	derived []DerivedTable
	trace   func(step string, d time.Duration)
	recent  *recentIDs
}

func (w batchWriter) exec(q string, args ...driver.NamedValue) (int64, error) {
	start := time.Now()
	r, err := w.dc.(driver.ExecerContext).ExecContext(w.ctx, q, args)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", firstLine(q), err)
	}
	w.traced(firstLine(q), start)
	n, _ := r.RowsAffected()
	return n, nil
}

func (w batchWriter) traced(step string, start time.Time) {
	if w.trace != nil {
		w.trace(step, time.Since(start))
	}
}

func (w batchWriter) write(rows []Row, dls []DeadLetter, st *ImportState, res Result, now time.Time) (_ Result, err error) {
	// Staging tables live in the connection's temp catalog; they are created
	// on first use of each pooled connection.
	if _, err := w.exec(`CREATE TEMP TABLE IF NOT EXISTS staging AS SELECT * FROM events LIMIT 0`); err != nil {
		return res, err
	}
	if _, err := w.exec(`CREATE TEMP TABLE IF NOT EXISTS staging_dead AS SELECT * FROM dead_letters LIMIT 0`); err != nil {
		return res, err
	}
	if _, err := w.exec(`BEGIN TRANSACTION`); err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			_, _ = w.dc.(driver.ExecerContext).ExecContext(context.Background(), `ROLLBACK`, nil)
		}
	}()
	if _, err := w.exec(`DELETE FROM staging_dead`); err != nil {
		return res, err
	}
	if len(rows) > 0 {
		if n, since := w.recent.candidates(rows); n == 0 {
			// Fast path (live traffic): no row can be stored already (see
			// recentIDs), so the rows go straight into events, and the
			// derived tables read them back by this batch's ingested_at,
			// which no stored row shares (WriteBatch makes it later than all
			// of them). This saves the copy from staging (INSERT … SELECT
			// FROM staging, ~80–160 ms per 50k-event batch at 10M stored);
			// the filter costs a zonemap check per committed row group, as
			// every one of them ends before this batch's ingested_at (a
			// count(*) of new_events: 0.3 ms at 10M stored). The LIMIT (the
			// exact row count) caps DuckDB's cardinality estimate: without
			// it a store whose ingested_at has few distinct values (a bulk
			// load) is estimated at millions of new rows, and the incidents
			// merge hash-joins the whole incidents table (46 → 194–217 ms
			// at 10M stored, EXPLAIN ANALYZE).
			start := time.Now()
			if err := w.appendEvents("", "events", rows, now); err != nil {
				return res, err
			}
			w.traced("append into events", start)
			if _, err := w.exec(`CREATE OR REPLACE TEMP VIEW new_events AS
				SELECT * FROM events WHERE ingested_at = TIMESTAMP '` +
				now.Format("2006-01-02 15:04:05.000000") + `' LIMIT ` + strconv.Itoa(len(rows))); err != nil {
				return res, err
			}
			res.Stored = len(rows)
			res.StoredByTopic = storedByTopic(rows)
		} else {
			if _, err := w.exec(`DELETE FROM staging`); err != nil {
				return res, err
			}
			start := time.Now()
			if err := w.appendEvents("temp", "staging", rows, now); err != nil {
				return res, err
			}
			w.traced("append into staging", start)
			// Only candidates (see recentIDs) can be stored already, and a
			// duplicate carries its original's time, so only events at or
			// after the earliest candidate's time can match: DuckDB skips
			// older row groups by their min/max statistics, which keeps this
			// cheap on a large store. Rows that are not candidates are not
			// stored, so they match nothing.
			dups, err := w.exec(`DELETE FROM staging
				WHERE time >= $1 AND id IN (SELECT id FROM events WHERE time >= $1)`,
				driver.NamedValue{Ordinal: 1, Value: since})
			if err != nil {
				return res, err
			}
			n, err := w.exec(`INSERT INTO events SELECT * FROM staging`)
			if err != nil {
				return res, err
			}
			res.Stored = int(n)
			res.Duplicates += len(rows) - int(n)
			if dups == 0 {
				res.StoredByTopic = storedByTopic(rows)
			} else if res.StoredByTopic, err = w.storedByTopic(); err != nil {
				return res, err
			}
			// The derived tables' updates read the batch's new events as
			// new_events: the staging table once the duplicates are deleted.
			if _, err := w.exec(`CREATE OR REPLACE TEMP VIEW new_events AS
				SELECT * FROM staging`); err != nil {
				return res, err
			}
		}
		for _, d := range w.derived {
			for _, q := range d.Update {
				if _, err := w.exec(q); err != nil {
					return res, fmt.Errorf("update %s: %w", d.Name, err)
				}
			}
		}
		if len(w.derived) > 0 && res.Stored > 0 {
			if _, err := w.exec(`UPDATE derived_state SET through = $1`, driver.NamedValue{Ordinal: 1, Value: now}); err != nil {
				return res, err
			}
		}
	}
	if len(dls) > 0 {
		if err := w.appendDeadLetters(dls, now); err != nil {
			return res, err
		}
		n, err := w.exec(`INSERT INTO dead_letters
			SELECT s.* FROM staging_dead s
			WHERE s.topic IS NULL OR NOT EXISTS (
				SELECT 1 FROM dead_letters d
				WHERE d.topic = s.topic AND d.partition = s.partition AND d."offset" = s."offset")`)
		if err != nil {
			return res, err
		}
		res.DeadLettered = int(n)
	}
	if st != nil {
		if err := w.writeImportState(st, now); err != nil {
			return res, err
		}
	}
	if _, err := w.exec(`COMMIT`); err != nil {
		return res, err
	}
	return res, nil
}

func (w batchWriter) storedByTopic() (map[string]int, error) {
	rows, err := w.dc.(driver.QueryerContext).QueryContext(w.ctx, `SELECT coalesce(kafka_topic, ''), count(*) FROM staging GROUP BY ALL`, nil)
	if err != nil {
		return nil, fmt.Errorf("count new events by topic: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	vals := make([]driver.Value, 2)
	for {
		if err := rows.Next(vals); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("count new events by topic: %w", err)
		}
		out[vals[0].(string)] = int(vals[1].(int64))
	}
}

// storedByTopic counts rows by topic, when all of them were stored.
func storedByTopic(rows []Row) map[string]int {
	out := map[string]int{}
	for i := range rows {
		out[rows[i].Topic]++
	}
	return out
}

func (w batchWriter) appendDeadLetters(dls []DeadLetter, now time.Time) error {
	app, err := duckdb.NewAppender(w.dc, "temp", "main", "staging_dead")
	if err != nil {
		return fmt.Errorf("dead-letter appender: %w", err)
	}
	for _, d := range dls {
		raw := d.Raw
		if raw == nil {
			raw = []byte{}
		}
		if err := app.AppendRow(raw, nullable(d.Topic), d.Partition, d.Offset, nullable(d.Format), d.Reason, d.Error, now); err != nil {
			app.Close()
			return fmt.Errorf("append dead letter: %w", err)
		}
	}
	if err := app.Close(); err != nil {
		return fmt.Errorf("flush dead-letter appender: %w", err)
	}
	return nil
}

func nullable(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

func firstLine(q string) string {
	for i, c := range q {
		if c == '\n' {
			return q[:i]
		}
	}
	return q
}

// fillEventRow writes r into vals in the column order of the events table.
func fillEventRow(vals []driver.Value, r *Row, now time.Time) {
	e := &r.Event
	d := &e.Data
	var startedAt, labels, hour, dow, date driver.Value
	if d.StartedAt != nil {
		startedAt = d.StartedAt.UTC()
	}
	if len(d.Labels) > 0 {
		labels = d.Labels // the appender JSON-encodes values of a JSON column
	}
	if lp, ok := localParts(e); ok {
		hour, dow, date = lp.hour, lp.dow, lp.date
	}
	vals[0] = e.ID
	vals[1] = e.Source
	vals[2] = string(e.Type)
	vals[3] = e.Time.UTC()
	vals[4] = nullable(d.IncidentID)
	vals[5] = nullable(d.AlertKey)
	vals[6] = nullable(d.AlertName)
	vals[7] = nullable(d.Title)
	vals[8] = nullable(d.Service)
	vals[9] = nullable(d.Team)
	vals[10] = nullable(d.Severity)
	vals[11] = nullable(d.Urgency)
	vals[12] = nullable(d.Responder)
	vals[13] = nullable(d.ResponderTZ)
	vals[14] = nullable(d.Channel)
	vals[15] = nullable(d.Schedule)
	vals[16] = startedAt
	vals[17] = nullable(d.DetectedBy)
	vals[18] = nullable(d.ResolvedBy)
	vals[19] = nullable(d.Role)
	vals[20] = nullable(d.Audience)
	vals[21] = nullable(d.ActionID)
	vals[22] = labels
	vals[23] = hour
	vals[24] = dow
	vals[25] = date
	vals[26] = nullable(r.Topic)
	vals[27] = r.Partition
	vals[28] = r.Offset
	vals[29] = now
}

// local is an event's time in its responder's zone.
type local struct {
	hour, dow int8 // dow: ISO weekday, 1 = Monday … 7 = Sunday
	date      time.Time
}

// localParts computes the local hour, weekday and date of e in the
// responder's zone, once at ingest (tens of ns) rather than by SQL timezone
// conversion in every interruption query (seconds over 10M rows). ok is
// false without a (known) responder_tz.
func localParts(e *event.Event) (local, bool) {
	if e.Data.ResponderTZ == "" {
		return local{}, false
	}
	loc, err := event.Location(e.Data.ResponderTZ)
	if err != nil {
		return local{}, false
	}
	lt := e.Time.In(loc)
	wd := int8(lt.Weekday())
	if wd == 0 {
		wd = 7
	}
	return local{hour: int8(lt.Hour()), dow: wd, date: time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC)}, true
}
