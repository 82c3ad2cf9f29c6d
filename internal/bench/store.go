package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/store"
)

// fillStore puts n events into s with one SQL statement per 5M rows, spread
// evenly over the year before the synthetic stream starts (2024-03-09 to
// 2025-03-09), so that the measured batches arrive after them, as live
// traffic does. It is setup, not measured: filling 50M events through
// WriteBatch would take longer than the whole benchmark.
func fillStore(ctx context.Context, s *store.Store, n int) error {
	const chunk = 5_000_000
	start := time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC).UnixMicro()
	stepUS := int64(365*24*time.Hour/time.Microsecond) / int64(max(n, 1))
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		q := fmt.Sprintf(`INSERT INTO events (id, source, type, time, incident_id, alert_key, alert_name, service, team,
			severity, responder, responder_tz, channel, local_hour, local_dow, local_date, ingested_at)
		SELECT 'fill-' || i, 'fill',
			CASE i %% 8 WHEN 0 THEN 'incident.triggered' WHEN 1 THEN 'incident.acknowledged' WHEN 2 THEN 'incident.resolved'
				WHEN 3 THEN 'alert.triggered' WHEN 4 THEN 'alert.resolved' ELSE 'page.notified' END,
			t, CASE WHEN i %% 8 IN (3, 4) THEN NULL ELSE 'F-' || (i // 8) END, 'fk-' || (i // 8 %% 5000), 'Fill' || (i %% 50),
			'svc-' || (i %% 1000), 'team-' || (i %% 100), 'SEV' || (1 + i %% 4),
			CASE WHEN i %% 8 >= 5 THEN 'r-' || (i %% 1000) END, CASE WHEN i %% 8 >= 5 THEN 'UTC' END,
			CASE WHEN i %% 8 >= 5 THEN 'phone' END,
			CASE WHEN i %% 8 >= 5 THEN hour(t) END, CASE WHEN i %% 8 >= 5 THEN isodow(t) END,
			CASE WHEN i %% 8 >= 5 THEN CAST(t AS DATE) END, now()
		FROM (SELECT i, make_timestamp(%d + i * %d) AS t FROM range(%d, %d) r(i))`, start, stepUS, lo, hi)
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("fill store: %w", err)
		}
	}
	return nil
}

// openFilled opens a store at path holding n filler events, with analytics'
// derived tables attached (and rebuilt from the filler), as serve and ingest
// open it.
func openFilled(ctx context.Context, path string, n int, opts store.Options) (*store.Store, error) {
	s, err := store.Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	if err := fillStore(ctx, s, n); err != nil {
		s.Close()
		return nil, err
	}
	if err := analytics.Attach(ctx, s); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// store: the bare Appender (limit) and WriteBatch into a store already
// holding cfg.Stored events, batch by batch, alternating, on the same rows.
// Also: the steps of WriteBatch, and a replayed batch (all duplicates).
func (r *runner) store() error {
	ctx := r.ctx
	n := r.cfg.StoreBatches * r.cfg.BatchSize
	// Twice n: the first half alternates with the bare Appender (derived
	// tables in each batch's transaction), the second is written as serve
	// writes (derived tables beside the writes).
	evs, err := firstEvents(synthConfig(1), 2*n)
	if err != nil {
		return err
	}
	if len(evs) < 2*n {
		return fmt.Errorf("store: the synthetic stream has %d events, want %d", len(evs), 2*n)
	}
	all := rows(evs[:n], "events")
	later := rows(evs[n:], "events")
	r.logf("store: filling %d events", r.cfg.Stored)
	fillStart := time.Now()
	s, err := openFilled(ctx, r.path("store.duckdb"), r.cfg.Stored, store.DefaultOptions())
	if err != nil {
		return err
	}
	defer s.Close()
	r.logf("store: filled in %s", time.Since(fillStart).Round(time.Second))
	if _, err := s.DB().ExecContext(ctx, `CREATE TABLE bare AS SELECT * FROM events LIMIT 0`); err != nil {
		return fmt.Errorf("create bare table: %w", err)
	}
	steps := map[string]time.Duration{}
	var order []string
	s.SetTrace(func(step string, d time.Duration) {
		if _, ok := steps[step]; !ok {
			order = append(order, step)
		}
		steps[step] += d
	})
	var bare, write time.Duration
	for b := 0; b < r.cfg.StoreBatches; b++ {
		batch := all[b*r.cfg.BatchSize : (b+1)*r.cfg.BatchSize]
		start := time.Now()
		if err := s.AppendBare(ctx, "bare", batch); err != nil {
			return err
		}
		bare += time.Since(start)
		start = time.Now()
		res, err := s.WriteBatch(ctx, store.Batch{Rows: batch})
		if err != nil {
			return err
		}
		write += time.Since(start)
		if res.Stored != len(batch) {
			return fmt.Errorf("batch %d: stored %d of %d new events", b, res.Stored, len(batch))
		}
	}
	s.SetTrace(nil)
	br, wr := rate(n, bare), rate(n, write)
	r.bareRate = br
	r.add(Row{Stage: "store", What: fmt.Sprintf("WriteBatch, derived tables in each batch's transaction (the library's default), %d × %d-event batches, %d stored", r.cfg.StoreBatches, r.cfg.BatchSize, r.cfg.Stored),
		Figure: fmtRate(wr), Limit: "bare Appender " + fmtRate(br), Ratio: fmt.Sprintf("%.2f×", wr/br),
		Target: "≥ 0.5× bare", Met: met(wr >= 0.5*br)})

	// As serve and ingest write: the derived tables updated beside the next
	// batch's append (store.SetAsyncDerived), timed until the last batch is
	// in them.
	if err := s.SetAsyncDerived(ctx, true); err != nil {
		return err
	}
	// Untimed: the WAL of the rows above (and the bare table's) goes into
	// the file first, so that the checkpoint this row counts is its own.
	if _, err := s.DB().ExecContext(ctx, `FORCE CHECKPOINT`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	start := time.Now()
	for b := 0; b < r.cfg.StoreBatches; b++ {
		batch := later[b*r.cfg.BatchSize : (b+1)*r.cfg.BatchSize]
		if _, err := s.WriteBatch(ctx, store.Batch{Rows: batch}); err != nil {
			return err
		}
	}
	if err := s.SyncDerived(ctx); err != nil {
		return err
	}
	if _, err := s.DB().ExecContext(ctx, `FORCE CHECKPOINT`); err != nil { // as in consume
		return fmt.Errorf("checkpoint: %w", err)
	}
	ar := rate(n, time.Since(start))
	if err := s.SetAsyncDerived(ctx, false); err != nil {
		return err
	}
	r.add(Row{Stage: "store", What: fmt.Sprintf("WriteBatch as serve runs it (derived tables beside the writes), the next %d × %d events", r.cfg.StoreBatches, r.cfg.BatchSize),
		Figure: fmtRate(ar), Limit: "bare Appender " + fmtRate(br), Ratio: fmt.Sprintf("%.2f×", ar/br),
		Target: "≥ 0.5× bare", Met: met(ar >= 0.5*br)})
	var parts []string
	for _, st := range order {
		parts = append(parts, fmt.Sprintf("%s %s", strings.TrimSpace(st), fmtDur(steps[st]/time.Duration(r.cfg.StoreBatches))))
	}
	r.note("store: WriteBatch steps per %d-event batch (%d stored): %s", r.cfg.BatchSize, r.cfg.Stored, strings.Join(parts, "; "))

	// A replay: the last batch again, every event a duplicate.
	last := slices.Clone(all[(r.cfg.StoreBatches-1)*r.cfg.BatchSize:])
	start = time.Now()
	res, err := s.WriteBatch(ctx, store.Batch{Rows: last})
	if err != nil {
		return err
	}
	if res.Stored != 0 {
		return fmt.Errorf("replayed batch stored %d events, want 0", res.Stored)
	}
	r.note("store: a replayed %d-event batch (all duplicates) took %s (%s)", len(last), fmtDur(time.Since(start)), fmtRate(rate(len(last), time.Since(start))))
	// The consume stage goes on from this store, without the bare table.
	if _, err := s.DB().ExecContext(ctx, `DROP TABLE bare`); err != nil {
		return fmt.Errorf("drop bare table: %w", err)
	}
	if err := s.Close(); err != nil {
		return err
	}
	r.filled = r.path("store.duckdb")
	return nil
}
