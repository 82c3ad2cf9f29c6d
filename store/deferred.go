package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// flagDerivedStale marks a store whose derived tables lag its events: set
// (and committed) before the first batch a bulk load writes without them,
// cleared in the transaction that rebuilds them.
const flagDerivedStale = "derived_stale"

// ErrDerivedStale is returned by RebuildIfStale on a read-only store whose
// derived tables were left behind by an interrupted bulk load.
var ErrDerivedStale = errors.New("derived tables are stale (a bulk ingest was interrupted)")

// DeferDerived makes WriteBatch skip the derived tables' per-batch updates
// until finish rebuilds them all from the events in one transaction.
//
// Why: a bulk load into an empty (or small) store pays the per-batch
// maintenance of every derived table (re-folding the touched incidents and
// alert lives, ~40% of a batch's write time) once per batch; one set-based
// rebuild at the end costs a fraction of that. Between the two the store
// is flagged (store_flags), so a crash or kill in between is repaired by the
// next RebuildIfStale (analytics.Attach calls it), and nothing reads the
// lagging tables meanwhile: the file is locked by this process.
//
// finish must be called once; it is safe to call after an error of the
// load (the events that were committed get their derived rows).
func (s *Store) DeferDerived(ctx context.Context) (finish func(context.Context) error, err error) {
	if s.opts.ReadOnly {
		return nil, errors.New("defer derived tables: store is open read-only")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.deferred {
		return nil, errors.New("defer derived tables: already deferred")
	}
	s.stopDeriver()
	if err := s.setFlag(ctx, s.db, flagDerivedStale); err != nil {
		return nil, fmt.Errorf("defer derived tables: %w", err)
	}
	s.deferred = true
	done := false
	return func(ctx context.Context) error {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		if done {
			return nil
		}
		done = true
		s.deferred = false
		if err := s.rebuildLocked(ctx); err != nil {
			return fmt.Errorf("rebuild deferred derived tables (the store stays flagged; the next open rebuilds them): %w", err)
		}
		return nil
	}, nil
}

// RebuildIfStale rebuilds the derived tables if a bulk load left them behind
// (DeferDerived's flag is set), and reports whether it did. Call it once
// every derived table is registered. On a read-only store it returns
// ErrDerivedStale instead.
func (s *Store) RebuildIfStale(ctx context.Context) (bool, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.deferred {
		return false, nil // this process's own bulk load; its finish rebuilds
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM store_flags WHERE name = $1`, flagDerivedStale).Scan(&n); err != nil {
		return false, fmt.Errorf("read store flags of %s: %w", s.path, err)
	}
	if n == 0 {
		return false, nil
	}
	if s.opts.ReadOnly {
		return false, fmt.Errorf("store %s: %w; open it once read-write (pagerlens ingest, serve or rebuild) to rebuild them", s.path, ErrDerivedStale)
	}
	if err := s.rebuildLocked(ctx); err != nil {
		return false, err
	}
	return true, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) setFlag(ctx context.Context, ex execer, name string) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO store_flags (name, set_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, time.Now().UTC())
	return err
}
