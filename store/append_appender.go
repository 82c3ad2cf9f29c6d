//go:build !duckdb_arrow

package store

import (
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// appendPath names the way events reach DuckDB, for logs and bench notes.
const appendPath = "appender"

// appendEvents appends rows to catalog.main.table (catalog "" is the
// database's own) through the duckdb-go Appender: one cgo call per value.
// Builds with -tags duckdb_arrow (make does) use append_arrow.go instead.
func (w batchWriter) appendEvents(catalog, table string, rows []Row, now time.Time) error {
	app, err := duckdb.NewAppender(w.dc, catalog, "main", table)
	if err != nil {
		return fmt.Errorf("appender into %s: %w", table, err)
	}
	vals := make([]driver.Value, eventColumnCount)
	for i := range rows {
		r := &rows[i]
		fillEventRow(vals, r, now)
		if err := app.AppendRow(vals...); err != nil {
			app.Close()
			return fmt.Errorf("append event %s: %w", r.Event.ID, err)
		}
	}
	if err := app.Close(); err != nil {
		return fmt.Errorf("flush appender: %w", err)
	}
	return nil
}
