package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pagerlens/pagerlens/store"
)

// A section computes one area of the Snapshot (MTTx, alert quality, on-call
// load, …). Each area lives in its own file and registers itself in init,
// so adding an area is adding a file.
type section struct {
	name    string
	compute func(ctx context.Context, db *sql.DB, cfg Config, snap *Snapshot) error
}

var (
	sections      []section
	derivedTables []store.DerivedTable
)

func registerSection(name string, f func(ctx context.Context, db *sql.DB, cfg Config, snap *Snapshot) error) {
	sections = append(sections, section{name, f})
}

// registerDerived declares a table that the store maintains per batch.
func registerDerived(d store.DerivedTable) { derivedTables = append(derivedTables, d) }

// addedColumns lists, per derived table, the columns added to it after it
// was first released (registerAddedColumns).
var addedColumns = map[string][]string{}

// registerAddedColumns declares columns added to a derived table after its
// first release. Its per-batch statements write every column, so the table
// a store already holds without them cannot be kept: Attach re-creates and
// refills it, as it fills a table that is missing.
func registerAddedColumns(table string, cols ...string) {
	addedColumns[table] = append(addedColumns[table], cols...)
}

// Attach registers analytics' derived tables (the incident timeline, …) with
// s, so that every later batch keeps them current. Call it right after
// store.Open, before the first write or Compute.
//
// A derived table that Attach creates in a store that already holds events
// (a store written before this table existed) is filled by a rebuild right
// away, so that no figure silently misses the earlier events. On a read-only
// store nothing is created; a missing table is then an error that says to
// run pagerlens rebuild.
func Attach(ctx context.Context, s *store.Store) error {
	if err := dropOutdated(ctx, s); err != nil {
		return fmt.Errorf("analytics: %w", err)
	}
	missing := map[string]bool{}
	for _, d := range derivedTables {
		ok, err := tableExists(ctx, s.DB(), d.Name)
		if err != nil {
			return fmt.Errorf("analytics: %w", err)
		}
		missing[d.Name] = !ok
	}
	for _, d := range derivedTables {
		if err := s.RegisterDerived(ctx, d); err != nil {
			return fmt.Errorf("analytics: %w", err)
		}
	}
	rebuild := false
	for _, d := range derivedTables {
		if !missing[d.Name] {
			continue
		}
		ok, err := tableExists(ctx, s.DB(), d.Name)
		if err != nil {
			return fmt.Errorf("analytics: %w", err)
		}
		if !ok {
			return fmt.Errorf("analytics: store %s has no table %s (written by an older pagerlens); run pagerlens rebuild --db %s once", s.Path(), d.Name, s.Path())
		}
		rebuild = true
	}
	// A bulk load that was killed before its one rebuild (store.DeferDerived)
	// left the store flagged: rebuild now, before anything reads the tables.
	if rebuilt, err := s.RebuildIfStale(ctx); err != nil {
		return fmt.Errorf("analytics: %w", err)
	} else if rebuilt {
		return nil
	}
	if rebuild {
		c, err := s.Count(ctx)
		if err != nil {
			return fmt.Errorf("analytics: %w", err)
		}
		if c.Events > 0 {
			if err := s.Rebuild(ctx); err != nil {
				return fmt.Errorf("analytics: fill new derived tables from %d stored events: %w", c.Events, err)
			}
		}
	}
	// Batches committed before a crash but not yet derived (the derived
	// tables are updated off the write path in serve and ingest).
	if _, err := s.CatchUpDerived(ctx); err != nil {
		return fmt.Errorf("analytics: %w", err)
	}
	return nil
}

// dropOutdated drops the derived tables that lack a column added after
// their first release (registerAddedColumns): Attach then creates and
// fills them as missing ones. Dropping first and rebuilding after is safe
// to interrupt: a store left without the table gets it at the next open.
// On a read-only store an outdated table is an error that says to run
// pagerlens rebuild, as a missing one is.
func dropOutdated(ctx context.Context, s *store.Store) error {
	for _, d := range derivedTables {
		cols := addedColumns[d.Name]
		if len(cols) == 0 {
			continue
		}
		if ok, err := tableExists(ctx, s.DB(), d.Name); err != nil {
			return err
		} else if !ok {
			continue
		}
		for _, c := range cols {
			ok, err := columnExists(ctx, s.DB(), d.Name, c)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			if s.ReadOnly() {
				return fmt.Errorf("store %s has table %s without column %s (written by an older pagerlens); run pagerlens rebuild --db %s once", s.Path(), d.Name, c, s.Path())
			}
			if _, err := s.DB().ExecContext(ctx, `DROP TABLE `+d.Name); err != nil {
				return fmt.Errorf("drop %s (no column %s) to re-create it: %w", d.Name, c, err)
			}
			break
		}
	}
	return nil
}

func columnExists(ctx context.Context, db *sql.DB, table, column string) (bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 AND column_name = $2`, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("look up column %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}

func tableExists(ctx context.Context, db *sql.DB, name string) (bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1`, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look up table %s: %w", name, err)
	}
	return n > 0, nil
}

// Compute builds the Snapshot for cfg.Now from the store, one section at a
// time, on one read connection.
func Compute(ctx context.Context, s *store.Store, cfg Config) (*Snapshot, error) {
	return ComputeTraced(ctx, s, cfg, nil)
}

// ComputeTraced is Compute reporting each section's duration to trace (nil
// for none): pagerlens bench prints them, to show where Snapshot time goes.
func ComputeTraced(ctx context.Context, s *store.Store, cfg Config, trace func(section string, d time.Duration)) (*Snapshot, error) {
	// Every batch committed so far, also those whose derived-table updates
	// are still running (store.SetAsyncDerived).
	if err := s.SyncDerived(ctx); err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	snap := &Snapshot{Now: cfg.Now.UTC()}
	for _, w := range cfg.Windows {
		snap.Windows = append(snap.Windows, w.Name)
	}
	for _, sec := range sections {
		start := time.Now()
		if err := sec.compute(ctx, s.DB(), cfg, snap); err != nil {
			return nil, fmt.Errorf("analytics %s: %w", sec.name, err)
		}
		if trace != nil {
			trace(sec.name, time.Since(start))
		}
	}
	return snap, nil
}
