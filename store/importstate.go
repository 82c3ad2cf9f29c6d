package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// ImportState is how far an importer (ingest/importers) has brought one
// source: every window in [Origin, Cursor) is completely imported, and
// Pending lists items still open at the last run (PagerDuty incidents not
// yet resolved), which the next run reads again. It is written in the
// transaction of the batch that holds the events it accounts for
// (Batch.State), so that after a crash the events and the cursor agree: a
// window is either stored and counted complete, or neither.
type ImportState struct {
	Source  string
	Origin  time.Time
	Cursor  time.Time
	Pending []string
	// UpdatedAt is when the state was last written (read only).
	UpdatedAt time.Time
}

// ImportState returns the stored state of source; ok is false when nothing
// was imported from it yet.
func (s *Store) ImportState(ctx context.Context, source string) (st ImportState, ok bool, err error) {
	var pending []any
	var raw any
	err = s.db.QueryRowContext(ctx, `SELECT origin, cursor, pending, updated_at FROM import_state WHERE source = $1`, source).
		Scan(&st.Origin, &st.Cursor, &raw, &st.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return ImportState{}, false, nil
	}
	if err != nil {
		return ImportState{}, false, fmt.Errorf("read import state of %s: %w", source, err)
	}
	if raw != nil {
		var ok bool
		if pending, ok = raw.([]any); !ok {
			return ImportState{}, false, fmt.Errorf("read import state of %s: pending is %T", source, raw)
		}
	}
	st.Source = source
	st.Origin, st.Cursor, st.UpdatedAt = st.Origin.UTC(), st.Cursor.UTC(), st.UpdatedAt.UTC()
	for _, p := range pending {
		if v, ok := p.(string); ok {
			st.Pending = append(st.Pending, v)
		}
	}
	return st, true, nil
}

// writeImportState upserts st inside the batch's transaction.
func (w batchWriter) writeImportState(st *ImportState, now time.Time) error {
	if st.Source == "" {
		return errors.New("import state: no source")
	}
	if st.Cursor.Before(st.Origin) {
		return fmt.Errorf("import state of %s: cursor %s before origin %s", st.Source, st.Cursor.Format(time.RFC3339), st.Origin.Format(time.RFC3339))
	}
	pending := make([]any, len(st.Pending))
	for i, p := range st.Pending {
		pending[i] = p
	}
	_, err := w.exec(`INSERT INTO import_state (source, origin, cursor, pending, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (source) DO UPDATE SET origin = excluded.origin, cursor = excluded.cursor,
			pending = excluded.pending, updated_at = excluded.updated_at`,
		driver.NamedValue{Ordinal: 1, Value: st.Source},
		driver.NamedValue{Ordinal: 2, Value: st.Origin.UTC()},
		driver.NamedValue{Ordinal: 3, Value: st.Cursor.UTC()},
		driver.NamedValue{Ordinal: 4, Value: pending},
		driver.NamedValue{Ordinal: 5, Value: now})
	if err != nil {
		return fmt.Errorf("import state of %s: %w", st.Source, err)
	}
	return nil
}
