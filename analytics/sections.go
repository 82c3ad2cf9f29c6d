package analytics

import (
	"context"
	"database/sql"
	"fmt"

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

// Attach registers analytics' derived tables (the incident timeline, …) with
// s, so that every later batch keeps them current. Call it right after
// store.Open, before the first write or Compute.
func Attach(ctx context.Context, s *store.Store) error {
	for _, d := range derivedTables {
		if err := s.RegisterDerived(ctx, d); err != nil {
			return fmt.Errorf("analytics: %w", err)
		}
	}
	return nil
}

// Compute builds the Snapshot for cfg.Now from the store, one section at a
// time, on one read connection.
func Compute(ctx context.Context, s *store.Store, cfg Config) (*Snapshot, error) {
	snap := &Snapshot{Now: cfg.Now.UTC()}
	for _, w := range cfg.Windows {
		snap.Windows = append(snap.Windows, w.Name)
	}
	for _, sec := range sections {
		if err := sec.compute(ctx, s.DB(), cfg, snap); err != nil {
			return nil, fmt.Errorf("analytics %s: %w", sec.name, err)
		}
	}
	return snap, nil
}
