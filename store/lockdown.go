package store

import (
	"context"
	"fmt"
)

// Lockdown makes every connection of s, now and later, unable to touch a
// file other than the store's own or to change a setting: DuckDB's
// enable_external_access = false (no COPY … TO/FROM a file, read_csv,
// read_text, glob, ATTACH, INSTALL or LOAD) and lock_configuration = true
// (SET and RESET refused). Both are settings of the database instance and
// cannot be undone while it is open, so serve calls this only when its SQL
// API is on, after everything it needs is set. The store's own file, its
// WAL and checkpoints are not external access; serve's Parquet exports use
// their own in-memory DuckDB instance (exporters/export.WriteParquet), which
// this does not reach.
//
// The per-connection settings that Open applies on each new connection are
// made global first: once locked, a new connection cannot set them.
func (s *Store) Lockdown(ctx context.Context) error {
	if s.locked.Load() {
		return nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lock down %s: %w", s.path, err)
	}
	defer conn.Close()
	for _, q := range []string{
		`SET GLOBAL TimeZone='UTC'`,
		`SET GLOBAL enable_external_access=false`,
		// The native memory keeper (native.go) still sets memory_limit;
		// the SQL API itself runs SELECTs only, so it cannot.
		`SET GLOBAL allowed_configs=['memory_limit']`,
		`SET GLOBAL lock_configuration=true`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("lock down %s: %s: %w", s.path, q, err)
		}
	}
	s.locked.Store(true)
	return nil
}
