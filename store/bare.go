package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// AppendBare appends rows to table (a table of the events table's shape,
// without any of WriteBatch's work: no staging, no duplicate check, no
// derived tables) through the duckdb-go Appender, committing once. It is
// the limit that pagerlens bench measures WriteBatch against.
func (s *Store) AppendBare(ctx context.Context, table string, rows []Row) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("append to %s: %w", table, err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "", "main", table)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, eventColumnCount)
		now := time.Now().UTC()
		for i := range rows {
			fillEventRow(vals, &rows[i], now)
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return fmt.Errorf("append to %s: %w", table, err)
	}
	return nil
}
